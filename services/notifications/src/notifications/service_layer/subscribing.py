"""Use cases of subscribers and subscriptions; cross-field rules raise FieldError."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters import subscribers_repo as repo
from notifications.adapters.clock import now
from notifications.domain.model import Channel, DeliveryMode, Role, SubscriberKind
from samverkan_shared.statemachine import Conflict

__all__ = ["FieldError", "check_subscriber", "create_subscriber", "rotate_secret", "subscribe"]


class FieldError(ValueError):
    """Input that is valid field by field but not together; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_subscriber(fields: dict[str, Any]) -> None:
    """The rules between fields: who needs an address, an URL or a region."""
    kind, role = fields["kind"], fields["role"]
    if kind == SubscriberKind.PERSON:
        if not fields.get("email"):
            raise FieldError("email", "a person needs an e-mail address")
        if fields.get("webhook_url"):
            raise FieldError("webhook_url", "only a system has a webhook URL")
        if role == Role.SYSTEM:
            raise FieldError("role", "a person cannot have the role 'system'")
    else:
        if not fields.get("webhook_url"):
            raise FieldError("webhook_url", "a system needs a webhook URL")
        if role != Role.SYSTEM:
            raise FieldError("role", "a system has the role 'system'")
        if fields.get("delivery") == DeliveryMode.DAILY:
            raise FieldError("delivery", "a system receives each event; no digest")
    if role == Role.REGIONAL_MEMBER and not fields.get("region"):
        raise FieldError("region", "a regional council member belongs to a region")


async def create_subscriber(conn: AsyncConnection, fields: dict[str, Any]) -> dict[str, Any]:
    """Store a subscriber; a system gets its first signing secret (returned once)."""
    if fields.get("kind") == SubscriberKind.SYSTEM and fields.get("role") == Role.STAKEHOLDER:
        fields = {**fields, "role": Role.SYSTEM}  # the default role of a system
    check_subscriber(fields)
    row = await repo.add_subscriber(conn, **{k: _plain(v) for k, v in fields.items()})
    secret = None
    if row["kind"] == SubscriberKind.SYSTEM:
        secret = repo.new_secret()
        await repo.add_secret(conn, row["id"], secret, None)
    return {**row, "secret": secret}


async def subscribe(
    conn: AsyncConnection, subscriber: dict[str, Any], filters: dict[str, Any]
) -> dict[str, Any]:
    """Add a subscription after checking the channel suits the subscriber."""
    channel = filters["channel"]
    if subscriber["status"] == "inactive":
        raise Conflict(f"subscriber {subscriber['id']} is inactive")
    if channel == Channel.WEBHOOK and subscriber["kind"] != SubscriberKind.SYSTEM:
        raise FieldError("channel", "webhooks are for systems; a person has email or feed")
    if channel == Channel.EMAIL and subscriber["kind"] != SubscriberKind.PERSON:
        raise FieldError("channel", "a system receives webhooks (or the feed), not e-mail")
    row = await repo.add_subscription(
        conn,
        subscriber_id=subscriber["id"],
        channel=_plain(channel),
        regions=list(filters["regions"]),
        areas=list(filters["areas"]),
        event_types=list(filters["event_types"]),
    )
    return {**row, "email": subscriber.get("email")}


async def rotate_secret(
    conn: AsyncConnection, subscriber_id: str, overlap_seconds: int
) -> dict[str, Any]:
    """A new secret; the old ones keep signing beside it for ``overlap_seconds``."""
    subscriber = await repo.get_subscriber(conn, subscriber_id)
    if subscriber["kind"] != SubscriberKind.SYSTEM:
        raise Conflict(f"subscriber {subscriber_id} is a person; only systems have secrets")
    secret = repo.new_secret()
    until = now() + timedelta(seconds=overlap_seconds)
    await repo.add_secret(conn, subscriber_id, secret, until)
    return {"secret": secret, "previous_expires_at": until}


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value
