"""Recording what an attempt did: sent, retry later, or dead (and pause a failing endpoint)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters import subscribers_repo as subs
from notifications.adapters.clock import now
from notifications.adapters.deliveries_repo import record
from notifications.adapters.tables import deliveries, notification_events
from notifications.domain.model import Channel, DeliveryStatus, PermanentFailure, retry_delay
from notifications.metrics import ATTEMPTS
from notifications.service_layer.messages import PAUSED_TYPE
from notifications.settings import NotificationSettings
from samverkan_shared.db import insert_ignore_many
from samverkan_shared.ids import new_id

__all__ = ["record_failure", "record_successes"]


async def record_successes(
    conn: AsyncConnection, sent: list[tuple[dict[str, Any], str | None]]
) -> None:
    """The receivers accepted these: one statement for the batch (only pending rows change)."""
    moment = now()
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == bindparam("b_id"),
            deliveries.c.status == DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.SENT.value,
            sent_at=moment,
            last_attempt_at=moment,
            attempts=bindparam("b_attempts"),
            subject=bindparam("b_subject"),
            claimed_by=None,
            claimed_until=None,
        ),
        [
            {
                "b_id": row["id"],
                "b_attempts": row["attempts"] + 1,
                "b_subject": subject[:300] if subject else None,
            }
            for row, subject in sent
        ],
    )
    for row, _ in sent:
        ATTEMPTS.labels(row["channel"], "sent").inc()


async def record_failure(
    conn: AsyncConnection, row: dict[str, Any], exc: Exception, settings: NotificationSettings
) -> bool:
    """Schedule a retry with backoff and jitter, or give up; True if the endpoint was paused."""
    attempts = row["attempts"] + 1
    moment = now()
    delay = retry_delay(
        attempts,
        random.uniform(0.5, 1.0),
        base=settings.retry_base_seconds,
        cap=settings.retry_max_delay_seconds,
    )
    too_old = (moment + timedelta(seconds=delay) - row["created_at"]).total_seconds() > (
        settings.delivery_max_age_seconds
    )
    dead = (
        isinstance(exc, PermanentFailure) or too_old or attempts >= settings.delivery_max_attempts
    )
    error = f"{exc.__class__.__name__}: {exc}"[:4000]
    await record(
        conn,
        row["id"],
        attempts,
        status=(DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING).value,
        last_error=error,
        next_attempt_at=moment + timedelta(seconds=0 if dead else delay),
    )
    ATTEMPTS.labels(row["channel"], "dead" if dead else "retry").inc()
    if dead and row["channel"] == Channel.WEBHOOK:
        return await _pause_endpoint(conn, row, error)
    return False


async def _pause_endpoint(conn: AsyncConnection, row: dict[str, Any], error: str) -> bool:
    """A webhook that died: pause the endpoint, and tell its owner by mail (once per pause)."""
    subscriber_id = row["subscriber_id"]
    reason = f"delivery {row['id']} failed for good: {error}"[:2000]
    if not await subs.pause(conn, subscriber_id, reason):
        return False
    owner = await subs.get_subscriber(conn, subscriber_id)
    if not owner.get("email"):
        return True
    moment = now()
    notice_id = f"paused-{subscriber_id}-{int(moment.timestamp())}"
    await insert_ignore_many(
        conn,
        notification_events,
        [
            {
                "logical_id": notice_id,
                "type": PAUSED_TYPE,
                "subject": f"subscribers/{subscriber_id}",
                "title": owner["name"][:300],
                "regions": [],
                "areas": [],
                "data": {"url": owner.get("webhook_url") or "", "reason": reason},
                "occurred_at": moment,
                "received_at": moment,
            }
        ],
    )
    await insert_ignore_many(
        conn,
        deliveries,
        [
            {
                "id": new_id(),
                "logical_event_id": notice_id,
                "event_type": PAUSED_TYPE,
                "subscriber_id": subscriber_id,
                "channel": Channel.EMAIL.value,
                "recipient": owner["email"],
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
            }
        ],
    )
    return True
