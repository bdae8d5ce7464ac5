"""Reading and writing subscriptions and deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.tables import deliveries, subscriptions
from notifications.domain.model import DeliveryStatus
from samverkan_shared.statemachine import NotFound

__all__ = [
    "active_subscriptions",
    "add_subscription",
    "deactivate",
    "due_deliveries",
    "list_deliveries",
    "list_subscriptions",
    "now",
]


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


async def add_subscription(
    conn: AsyncConnection, email: str, regions: list[str], event_types: list[str]
) -> dict[str, Any]:
    """Store a new active subscription and return it."""
    row = {
        "id": str(uuid4()),
        "email": email,
        "regions": regions,
        "event_types": event_types,
        "created_at": now(),
        "active": True,
    }
    await conn.execute(subscriptions.insert().values(**row))
    return row


async def list_subscriptions(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every subscription, newest first (inactive ones too, for the record)."""
    rows = await conn.execute(select(subscriptions).order_by(subscriptions.c.created_at.desc()))
    return [dict(r._mapping) for r in rows]


async def active_subscriptions(conn: AsyncConnection) -> list[dict[str, Any]]:
    """The subscriptions that still want mail."""
    rows = await conn.execute(select(subscriptions).where(subscriptions.c.active.is_(True)))
    return [dict(r._mapping) for r in rows]


async def deactivate(conn: AsyncConnection, subscription_id: str) -> dict[str, Any]:
    """Stop a subscription; its deliveries stay as history. NotFound if there is none."""
    row = (
        await conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id))
    ).first()
    if row is None:
        raise NotFound(f"subscription {subscription_id} not found")
    await conn.execute(
        update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False)
    )
    return {**row._mapping, "active": False}


async def list_deliveries(
    conn: AsyncConnection,
    *,
    subscriber_id: str | None,
    status: str | None,
    event_id: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Deliveries, newest first, filtered by subscriber, status and logical event id."""
    query = select(deliveries)
    if subscriber_id:
        query = query.where(deliveries.c.subscriber_id == subscriber_id)
    if status:
        query = query.where(deliveries.c.status == status)
    if event_id:
        query = query.where(deliveries.c.logical_event_id == event_id)
    rows = await conn.execute(query.order_by(deliveries.c.created_at.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


async def due_deliveries(conn: AsyncConnection, limit: int) -> list[dict[str, Any]]:
    """Pending deliveries whose next attempt is due, oldest first."""
    rows = await conn.execute(
        select(deliveries)
        .where(
            deliveries.c.status == DeliveryStatus.PENDING.value,
            deliveries.c.next_attempt_at <= now(),
        )
        .order_by(deliveries.c.created_at)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
