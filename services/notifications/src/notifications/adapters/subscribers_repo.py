"""Reading and writing subscribers, their webhook secrets and their subscriptions."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.clock import now
from notifications.adapters.tables import deliveries, subscribers, subscriptions, webhook_secrets
from notifications.domain.model import Channel, DeliveryStatus, SubscriberStatus
from samverkan_shared.ids import new_id
from samverkan_shared.statemachine import Conflict, NotFound

__all__ = [
    "active_subscriptions",
    "add_secret",
    "add_subscriber",
    "add_subscription",
    "deactivate_subscriber",
    "deactivate_subscription",
    "get_subscriber",
    "list_subscribers",
    "list_subscriptions",
    "live_secrets",
    "new_secret",
    "pause",
    "person_by_email",
    "resume",
    "subscribers_by_id",
    "unsubscribe_email",
    "update_subscriber",
]


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def add_subscriber(conn: AsyncConnection, **fields: Any) -> dict[str, Any]:
    """Store a new subscriber and return it."""
    row = {
        "id": new_id(),
        "status": SubscriberStatus.ACTIVE.value,
        "created_at": now(),
        "paused_reason": None,
        "paused_at": None,
        "unsubscribed_at": None,
        **fields,
    }
    await conn.execute(subscribers.insert().values(**row))
    return row


async def get_subscriber(conn: AsyncConnection, subscriber_id: str) -> dict[str, Any]:
    """One subscriber; NotFound if there is none."""
    row = (await conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id))).first()
    if row is None:
        raise NotFound(f"subscriber {subscriber_id} not found")
    return dict(row._mapping)


async def person_by_email(conn: AsyncConnection, email: str) -> dict[str, Any] | None:
    """The active person with this address, if any (the oldest, should there be several)."""
    row = (
        await conn.execute(
            select(subscribers)
            .where(
                subscribers.c.email == email,
                subscribers.c.kind == "person",
                subscribers.c.status != SubscriberStatus.INACTIVE.value,
            )
            .order_by(subscribers.c.created_at)
            .limit(1)
        )
    ).first()
    return None if row is None else dict(row._mapping)


async def list_subscribers(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every subscriber, newest first."""
    rows = await conn.execute(select(subscribers).order_by(subscribers.c.created_at.desc()))
    return [dict(r._mapping) for r in rows]


async def subscribers_by_id(conn: AsyncConnection) -> dict[str, dict[str, Any]]:
    """The subscribers that may hear of events, by id (paused endpoints still collect)."""
    rows = await conn.execute(
        select(subscribers).where(subscribers.c.status != SubscriberStatus.INACTIVE.value)
    )
    return {r.id: dict(r._mapping) for r in rows}


async def update_subscriber(
    conn: AsyncConnection, subscriber_id: str, **values: Any
) -> dict[str, Any]:
    """Change some fields of a subscriber; NotFound if there is none."""
    current = await get_subscriber(conn, subscriber_id)
    if current["status"] == SubscriberStatus.INACTIVE:
        raise Conflict(f"subscriber {subscriber_id} is inactive")
    if values:
        await conn.execute(
            update(subscribers).where(subscribers.c.id == subscriber_id).values(**values)
        )
    return {**current, **values}


async def _cancel_pending(
    conn: AsyncConnection, subscriber_id: str, channel: Channel | None, why: str
) -> None:
    query = update(deliveries).where(
        deliveries.c.subscriber_id == subscriber_id,
        deliveries.c.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.HELD.value]),
    )
    if channel is not None:
        query = query.where(deliveries.c.channel == channel.value)
    await conn.execute(
        query.values(status=DeliveryStatus.CANCELLED.value, last_error=why, claimed_by=None)
    )


async def deactivate_subscriber(conn: AsyncConnection, subscriber_id: str) -> dict[str, Any]:
    """Remove a subscriber: nothing more is sent; its history stays."""
    current = await get_subscriber(conn, subscriber_id)
    await conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(status=SubscriberStatus.INACTIVE.value)
    )
    await conn.execute(
        update(subscriptions)
        .where(subscriptions.c.subscriber_id == subscriber_id)
        .values(active=False)
    )
    await _cancel_pending(conn, subscriber_id, None, "subscriber removed")
    return {**current, "status": SubscriberStatus.INACTIVE.value}


async def unsubscribe_email(conn: AsyncConnection, subscriber_id: str) -> dict[str, Any]:
    """The one-click unsubscribe: no more e-mail of any kind (the feed stays)."""
    current = await get_subscriber(conn, subscriber_id)
    stamp = current["unsubscribed_at"] or now()
    await conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(default_rules=False, unsubscribed_at=stamp)
    )
    await conn.execute(
        update(subscriptions)
        .where(
            subscriptions.c.subscriber_id == subscriber_id,
            subscriptions.c.channel == Channel.EMAIL.value,
        )
        .values(active=False)
    )
    await _cancel_pending(conn, subscriber_id, Channel.EMAIL, "unsubscribed by link")
    return {**current, "default_rules": False, "unsubscribed_at": stamp}


async def pause(conn: AsyncConnection, subscriber_id: str, reason: str) -> bool:
    """Pause an active endpoint; False if it was not active (already paused, say)."""
    result = await conn.execute(
        update(subscribers)
        .where(
            subscribers.c.id == subscriber_id,
            subscribers.c.status == SubscriberStatus.ACTIVE.value,
        )
        .values(status=SubscriberStatus.PAUSED.value, paused_reason=reason, paused_at=now())
    )
    return bool(result.rowcount)


async def resume(conn: AsyncConnection, subscriber_id: str) -> dict[str, Any]:
    """Resume a paused endpoint; its waiting deliveries are due at once. 409 unless paused."""
    current = await get_subscriber(conn, subscriber_id)
    if current["status"] != SubscriberStatus.PAUSED:
        raise Conflict(f"subscriber {subscriber_id} is {current['status']}, not paused")
    await conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(status=SubscriberStatus.ACTIVE.value, paused_reason=None, paused_at=None)
    )
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.subscriber_id == subscriber_id,
            deliveries.c.status == DeliveryStatus.PENDING.value,
        )
        .values(next_attempt_at=now())
    )
    return {**current, "status": SubscriberStatus.ACTIVE.value, "paused_reason": None}


async def add_secret(
    conn: AsyncConnection, subscriber_id: str, secret: str, retire_old_at: datetime | None
) -> None:
    """Add a signing secret; older live ones keep signing until ``retire_old_at``."""
    if retire_old_at is not None:
        await conn.execute(
            update(webhook_secrets)
            .where(
                webhook_secrets.c.subscriber_id == subscriber_id,
                (webhook_secrets.c.expires_at.is_(None))
                | (webhook_secrets.c.expires_at > retire_old_at),
            )
            .values(expires_at=retire_old_at)
        )
    await conn.execute(
        webhook_secrets.insert().values(
            id=new_id(), subscriber_id=subscriber_id, secret=secret, created_at=now()
        )
    )


async def live_secrets(conn: AsyncConnection, subscriber_id: str) -> list[str]:
    """The secrets that sign now: the newest first, then any still in their overlap."""
    moment = now()
    rows = await conn.execute(
        select(webhook_secrets.c.secret)
        .where(
            webhook_secrets.c.subscriber_id == subscriber_id,
            (webhook_secrets.c.expires_at.is_(None)) | (webhook_secrets.c.expires_at > moment),
        )
        .order_by(webhook_secrets.c.created_at.desc())
    )
    return [r.secret for r in rows]


async def add_subscription(conn: AsyncConnection, **fields: Any) -> dict[str, Any]:
    """Store a new active subscription and return it."""
    row = {"id": new_id(), "created_at": now(), "active": True, **fields}
    await conn.execute(subscriptions.insert().values(**row))
    return row


async def list_subscriptions(
    conn: AsyncConnection, subscriber_id: str | None = None
) -> list[dict[str, Any]]:
    """Subscriptions (inactive ones too, for the record), newest first, with the e-mail."""
    query = select(subscriptions, subscribers.c.email).join(
        subscribers, subscribers.c.id == subscriptions.c.subscriber_id
    )
    if subscriber_id is not None:
        query = query.where(subscriptions.c.subscriber_id == subscriber_id)
    rows = await conn.execute(query.order_by(subscriptions.c.created_at.desc()))
    return [dict(r._mapping) for r in rows]


async def active_subscriptions(conn: AsyncConnection) -> list[dict[str, Any]]:
    """The subscriptions that still want notifications."""
    rows = await conn.execute(select(subscriptions).where(subscriptions.c.active.is_(True)))
    return [dict(r._mapping) for r in rows]


async def deactivate_subscription(conn: AsyncConnection, subscription_id: str) -> dict[str, Any]:
    """Stop a subscription; its deliveries stay as history. NotFound if there is none."""
    query = select(subscriptions, subscribers.c.email).join(
        subscribers, subscribers.c.id == subscriptions.c.subscriber_id
    )
    row = (await conn.execute(query.where(subscriptions.c.id == subscription_id))).first()
    if row is None:
        raise NotFound(f"subscription {subscription_id} not found")
    await conn.execute(
        update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False)
    )
    return {**row._mapping, "active": False}
