"""Daily digests: one row per (subscriber, day) claims the day; held deliveries join it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.clock import now
from notifications.adapters.tables import deliveries, digests, notification_events, subscribers
from notifications.domain.model import Channel, DeliveryMode, DeliveryStatus, SubscriberStatus
from samverkan_shared.db import insert_ignore_many
from samverkan_shared.ids import new_id

__all__ = [
    "claim_day",
    "digest_items",
    "due_digests",
    "list_digests",
    "mark_digest",
    "subscribers_without_digest",
]


async def subscribers_without_digest(conn: AsyncConnection, day: str) -> list[str]:
    """Active people who chose the daily digest and have no row for ``day`` yet."""
    done = select(digests.c.subscriber_id).where(digests.c.day == day)
    rows = await conn.execute(
        select(subscribers.c.id).where(
            subscribers.c.delivery == DeliveryMode.DAILY.value,
            subscribers.c.status == SubscriberStatus.ACTIVE.value,
            subscribers.c.email.is_not(None),
            subscribers.c.unsubscribed_at.is_(None),
            subscribers.c.id.not_in(done),
        )
    )
    return [r.id for r in rows]


async def claim_day(conn: AsyncConnection, subscriber_id: str, day: str) -> int | None:
    """Insert the (subscriber, day) row and gather the held mail into it.

    Returns how many deliveries it holds, or None if another run claimed the day first.
    """
    digest_id = new_id()
    moment = now()
    await insert_ignore_many(
        conn,
        digests,
        [
            {
                "id": digest_id,
                "subscriber_id": subscriber_id,
                "day": day,
                "status": "pending",
                "items": 0,
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
            }
        ],
    )
    mine = (
        await conn.execute(
            select(digests.c.id).where(
                digests.c.subscriber_id == subscriber_id, digests.c.day == day
            )
        )
    ).scalar_one()
    if mine != digest_id:
        return None
    result = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.subscriber_id == subscriber_id,
            deliveries.c.channel == Channel.EMAIL.value,
            deliveries.c.status == DeliveryStatus.HELD.value,
            deliveries.c.digest_id.is_(None),
        )
        .values(digest_id=digest_id)
    )
    count = int(result.rowcount)
    await conn.execute(
        update(digests)
        .where(digests.c.id == digest_id)
        .values(items=count, status="pending" if count else "empty")
    )
    return count


async def due_digests(conn: AsyncConnection, limit: int) -> list[dict[str, Any]]:
    """Pending digests whose attempt is due, locked so one process sends each."""
    rows = await conn.execute(
        select(digests, subscribers.c.email, subscribers.c.language)
        .join(subscribers, subscribers.c.id == digests.c.subscriber_id)
        .where(digests.c.status == "pending", digests.c.next_attempt_at <= now())
        .order_by(digests.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=digests)
    )
    return [dict(r._mapping) for r in rows]


async def digest_items(conn: AsyncConnection, digest_id: str) -> list[dict[str, Any]]:
    """The events a digest reports, oldest first."""
    rows = await conn.execute(
        select(
            notification_events.c.type,
            notification_events.c.title,
            notification_events.c.regions,
            notification_events.c.areas,
            notification_events.c.occurred_at,
        )
        .join(deliveries, deliveries.c.logical_event_id == notification_events.c.logical_id)
        .where(deliveries.c.digest_id == digest_id)
        .order_by(notification_events.c.occurred_at)
    )
    return [dict(r._mapping) for r in rows]


async def mark_digest(
    conn: AsyncConnection,
    digest: dict[str, Any],
    *,
    status: str,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> None:
    """Record one attempt; a sent or dead digest settles its deliveries the same way."""
    moment = now()
    await conn.execute(
        update(digests)
        .where(digests.c.id == digest["id"])
        .values(
            status=status,
            attempts=digest["attempts"] + 1,
            last_error=error,
            next_attempt_at=retry_at or moment,
            sent_at=moment if status == "sent" else None,
        )
    )
    if status in ("sent", "dead"):
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.digest_id == digest["id"])
            .values(
                status=DeliveryStatus.SENT.value if status == "sent" else DeliveryStatus.DEAD.value,
                sent_at=moment if status == "sent" else None,
                attempts=deliveries.c.attempts + 1,
                last_attempt_at=moment,
                last_error=error,
            )
        )


async def list_digests(conn: AsyncConnection, subscriber_id: str | None) -> list[dict[str, Any]]:
    """Digest rows, newest first."""
    query = select(digests)
    if subscriber_id:
        query = query.where(digests.c.subscriber_id == subscriber_id)
    rows = await conn.execute(query.order_by(digests.c.created_at.desc()).limit(500))
    return [dict(r._mapping) for r in rows]
