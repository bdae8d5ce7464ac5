"""Records, in the consumer's inbox transaction, which subscribers must hear of an event."""

from __future__ import annotations

from uuid import uuid4

from notifications.adapters import repository as repo
from notifications.adapters.tables import deliveries
from notifications.domain.model import EMAIL, DeliveryStatus
from notifications.service_layer.matching import concerned_regions, matches
from notifications.service_layer.rendering import render
from samverkan_shared.contracts import Event
from samverkan_shared.db import insert_ignore
from samverkan_shared.envelope import Envelope
from samverkan_shared.uow import UnitOfWork

__all__ = ["IntakeHandler"]


class IntakeHandler:
    """Turns one consumed event into pending deliveries; the sender does the mailing."""

    async def __call__(self, uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        regions = concerned_regions(event, topic)
        wanted = [
            sub
            for sub in await repo.active_subscriptions(uow.conn)
            if matches(sub, env.type, regions)
        ]
        if not wanted:
            return
        text = render(env, event, regions)
        now = repo.now()
        inserted = 0
        for sub in wanted:
            # Keyed by the logical id: the copies of a fanned-out event (one per region
            # topic) collide on the unique key, so each subscriber gets one mail.
            result = await uow.conn.execute(
                insert_ignore(
                    uow.conn,
                    deliveries,
                    id=str(uuid4()),
                    logical_event_id=env.logical_id,
                    event_type=env.type,
                    subscriber_id=sub["id"],
                    channel=EMAIL,
                    recipient=sub["email"],
                    subject=text.subject,
                    body=text.body,
                    status=DeliveryStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            inserted += max(result.rowcount, 0)
        if inserted:
            uow.wake_on_commit()
