"""Deliveries: intents written with the inbox, claims by senders, outcomes, and the log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.clock import now
from notifications.adapters.tables import deliveries, notification_events, subscribers
from notifications.domain.model import Channel, DeliveryStatus, SubscriberStatus
from samverkan_shared.statemachine import Conflict, NotFound

__all__ = [
    "claim_due",
    "counts_by_status",
    "get_delivery",
    "list_deliveries",
    "record",
    "release",
    "renew_claims",
    "retry_dead",
]


async def claim_due(
    conn: AsyncConnection,
    owner: str,
    lease: float,
    limit: int,
    *,
    channels: Iterable[Channel],
    skip_subscribers: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Take up to ``limit`` due deliveries for this sender, with their event (one transaction).

    ``FOR UPDATE SKIP LOCKED`` lets several senders claim side by side on PostgreSQL; the
    lease (``claimed_until``) lets another sender take over the rows of one that died.
    Webhooks of a paused endpoint wait; mail to its owner does not.
    """
    moment = now()
    skip = list(skip_subscribers)
    query = (
        select(deliveries.c.id)
        .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
        .where(
            deliveries.c.status == DeliveryStatus.PENDING.value,
            deliveries.c.next_attempt_at <= moment,
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < moment),
            deliveries.c.channel.in_([c.value for c in channels]),
            or_(
                deliveries.c.channel != Channel.WEBHOOK.value,
                subscribers.c.status == SubscriberStatus.ACTIVE.value,
            ),
        )
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=deliveries)
    )
    if skip:
        query = query.where(deliveries.c.subscriber_id.not_in(skip))
    ids = [r.id for r in await conn.execute(query)]
    if not ids:
        return []
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(ids))
        .values(claimed_by=owner, claimed_until=moment + timedelta(seconds=lease))
    )
    rows = await conn.execute(
        select(
            deliveries,
            notification_events.c.data.label("event_data"),
            notification_events.c.title.label("event_title"),
            notification_events.c.subject.label("event_subject"),
            notification_events.c.regions.label("event_regions"),
            notification_events.c.areas.label("event_areas"),
            notification_events.c.occurred_at.label("event_time"),
            subscribers.c.language,
            subscribers.c.name.label("subscriber_name"),
        )
        .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
        .outerjoin(
            notification_events,
            notification_events.c.logical_id == deliveries.c.logical_event_id,
        )
        .where(deliveries.c.id.in_(ids))
        .order_by(deliveries.c.next_attempt_at)
    )
    return [dict(r._mapping) for r in rows]


async def renew_claims(conn: AsyncConnection, owner: str, lease: float) -> None:
    """Keep this sender's claims from expiring while it is alive."""
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.claimed_by == owner,
            deliveries.c.status == DeliveryStatus.PENDING.value,
        )
        .values(claimed_until=now() + timedelta(seconds=lease))
    )


async def release(conn: AsyncConnection, owner: str, ids: Sequence[str] | None = None) -> None:
    """Give back this sender's claims (all of them, or only ``ids``) unsent."""
    query = update(deliveries).where(
        deliveries.c.claimed_by == owner, deliveries.c.status == DeliveryStatus.PENDING.value
    )
    if ids is not None:
        query = query.where(deliveries.c.id.in_(list(ids)))
    await conn.execute(query.values(claimed_by=None, claimed_until=None))


async def record(conn: AsyncConnection, delivery_id: str, attempts: int, **values: Any) -> bool:
    """Write one attempt's outcome; only a pending row changes (a final outcome stays)."""
    result = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == DeliveryStatus.PENDING.value,
        )
        .values(
            attempts=attempts,
            last_attempt_at=now(),
            claimed_by=None,
            claimed_until=None,
            **values,
        )
    )
    return bool(result.rowcount)


async def get_delivery(conn: AsyncConnection, delivery_id: str) -> dict[str, Any]:
    """One delivery; NotFound if there is none."""
    row = (await conn.execute(select(deliveries).where(deliveries.c.id == delivery_id))).first()
    if row is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return dict(row._mapping)


async def list_deliveries(
    conn: AsyncConnection,
    *,
    subscriber_id: str | None = None,
    status: str | None = None,
    event_id: str | None = None,
    channel: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Deliveries, newest first, filtered by subscriber, status, logical event and channel."""
    query = select(deliveries)
    for column, value in (
        (deliveries.c.subscriber_id, subscriber_id),
        (deliveries.c.status, status),
        (deliveries.c.logical_event_id, event_id),
        (deliveries.c.channel, channel),
    ):
        if value:
            query = query.where(column == value)
    rows = await conn.execute(
        query.order_by(deliveries.c.created_at.desc(), deliveries.c.id).limit(limit).offset(offset)
    )
    return [dict(r._mapping) for r in rows]


async def retry_dead(
    conn: AsyncConnection, delivery_id: str | None = None, subscriber_id: str | None = None
) -> int:
    """Dead deliveries become pending again, due now, with a fresh age; returns how many.

    A single id that is not dead is a Conflict naming its state.
    """
    if delivery_id is not None:
        current = await get_delivery(conn, delivery_id)
        if current["status"] != DeliveryStatus.DEAD:
            raise Conflict(f"delivery {delivery_id} is {current['status']}; only dead ones retry")
    moment = now()
    conditions = [deliveries.c.status == DeliveryStatus.DEAD.value]
    if delivery_id is not None:
        conditions.append(deliveries.c.id == delivery_id)
    if subscriber_id is not None:
        conditions.append(deliveries.c.subscriber_id == subscriber_id)
    result = await conn.execute(
        update(deliveries)
        .where(and_(*conditions))
        .values(
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=moment,
            created_at=moment,  # the maximum age counts from the operator's retry
            claimed_by=None,
            claimed_until=None,
        )
    )
    return int(result.rowcount)


async def counts_by_status(conn: AsyncConnection) -> list[tuple[str, str, int]]:
    """(channel, status, count) for every combination that has rows."""
    rows = await conn.execute(
        select(deliveries.c.channel, deliveries.c.status, func.count()).group_by(
            deliveries.c.channel, deliveries.c.status
        )
    )
    return [(r[0], r[1], int(r[2])) for r in rows]
