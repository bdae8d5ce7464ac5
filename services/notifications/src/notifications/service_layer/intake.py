"""Records, in the consumer's inbox transaction, who must hear of an event and how."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notifications.adapters import subscribers_repo as subs
from notifications.adapters.clock import now
from notifications.adapters.tables import deliveries, feed_items, notification_events
from notifications.domain.model import Channel, DeliveryStatus
from notifications.domain.rules import Target, plan
from notifications.service_layer.matching import concerned_areas, concerned_regions, headline
from samverkan_shared.contracts import Event
from samverkan_shared.db import insert_ignore_many
from samverkan_shared.envelope import Envelope
from samverkan_shared.ids import new_id
from samverkan_shared.uow import UnitOfWork

__all__ = ["IntakeHandler"]


class IntakeHandler:
    """Turns one consumed event into delivery intents; senders do the sending.

    Everything here is in the inbox's transaction: the event is recorded as seen and its
    deliveries as due together, or neither is. Feed items are the delivery itself.
    """

    def __init__(self, on_feed: Callable[[], None] | None = None) -> None:
        self.on_feed = on_feed

    async def __call__(self, uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        regions = concerned_regions(event, topic)
        areas = concerned_areas(event)
        conn = uow.conn
        if "audience" not in uow.memo:  # once per transaction: a batch shares one reading
            uow.memo["audience"] = (
                await subs.subscribers_by_id(conn),
                await subs.active_subscriptions(conn),
            )
        subscribers, subscriptions = uow.memo["audience"]
        targets = plan(subscribers, subscriptions, env.type, regions, areas)
        if not targets:
            return
        moment = now()
        await insert_ignore_many(
            conn,
            notification_events,
            [
                {
                    "logical_id": env.logical_id,
                    "type": env.type,
                    "subject": env.subject[:300],
                    "title": headline(event, env.subject)[:300],
                    "regions": regions,
                    "areas": areas,
                    "data": event.model_dump(mode="json"),
                    "occurred_at": env.time,
                    "received_at": moment,
                }
            ],
        )
        rows = [_delivery(env, target, moment) for target in targets]
        await insert_ignore_many(conn, deliveries, rows)
        feed = [
            {
                "subscriber_id": t.subscriber_id,
                "logical_event_id": env.logical_id,
                "created_at": moment,
            }
            for t in targets
            if t.channel is Channel.FEED
        ]
        await insert_ignore_many(conn, feed_items, feed)
        uow.wake_on_commit()


def _delivery(env: Envelope, target: Target, moment: Any) -> dict[str, Any]:
    if target.channel is Channel.FEED:
        status, sent_at = DeliveryStatus.SENT, moment  # written here: the feed item is the delivery
    else:
        status, sent_at = (DeliveryStatus.HELD if target.held else DeliveryStatus.PENDING), None
    return {
        "id": new_id(),
        # Keyed by the logical id: the copies of a fanned-out event (one per region topic)
        # collide on the unique key, so each subscriber hears of it once per channel.
        "logical_event_id": env.logical_id,
        "event_type": env.type,
        "subscriber_id": target.subscriber_id,
        "channel": target.channel.value,
        "recipient": target.recipient,
        "status": status.value,
        "attempts": 0,
        "next_attempt_at": moment,
        "created_at": moment,
        "sent_at": sent_at,
    }
