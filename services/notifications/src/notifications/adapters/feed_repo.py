"""The in-app feed: one item per (subscriber, logical event), read in order of arrival."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.tables import feed_items, notification_events

__all__ = ["feed_after"]


async def feed_after(
    conn: AsyncConnection, subscriber_id: str, after: int, limit: int
) -> list[dict[str, Any]]:
    """The subscriber's feed items with an id above ``after``, oldest first."""
    rows = await conn.execute(
        select(
            feed_items.c.id,
            feed_items.c.logical_event_id.label("event_id"),
            feed_items.c.created_at,
            notification_events.c.type,
            notification_events.c.title,
            notification_events.c.subject,
            notification_events.c.regions,
            notification_events.c.areas,
            notification_events.c.occurred_at,
        )
        .join(
            notification_events,
            notification_events.c.logical_id == feed_items.c.logical_event_id,
        )
        .where(feed_items.c.subscriber_id == subscriber_id, feed_items.c.id > after)
        .order_by(feed_items.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
