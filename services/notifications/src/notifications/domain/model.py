"""Subscribers, channels, delivery states and the retry schedule: plain values, no I/O."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Channel",
    "DeliveryMode",
    "DeliveryStatus",
    "Language",
    "PermanentFailure",
    "Role",
    "SubscriberKind",
    "SubscriberStatus",
    "TemporaryFailure",
    "retry_delay",
]


class Channel(StrEnum):
    """How a notification reaches its subscriber; part of the delivery key."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    FEED = "feed"


class SubscriberKind(StrEnum):
    """A person reads mail and the feed; a system receives webhooks."""

    PERSON = "person"
    SYSTEM = "system"


class Role(StrEnum):
    """Who a subscriber is; the default rules follow the role."""

    NATIONAL_STAFF = "national_staff"
    REGIONAL_MEMBER = "regional_member"
    STAKEHOLDER = "stakeholder"
    SYSTEM = "system"


class DeliveryMode(StrEnum):
    """A person's choice: every notification at once, or one mail a day."""

    IMMEDIATE = "immediate"
    DAILY = "daily"


class Language(StrEnum):
    """The languages the templates exist in."""

    SV = "sv"
    EN = "en"


class SubscriberStatus(StrEnum):
    """Active; paused (a webhook endpoint that kept failing); or removed."""

    ACTIVE = "active"
    PAUSED = "paused"
    INACTIVE = "inactive"


class DeliveryStatus(StrEnum):
    """Where one notification stands."""

    PENDING = "pending"  # waiting to be sent (or retried)
    HELD = "held"  # waiting for the subscriber's daily digest
    SENT = "sent"
    DEAD = "dead"  # gave up: too old, or refused for good
    CANCELLED = "cancelled"  # the subscriber left before it was sent


class TemporaryFailure(Exception):
    """Worth trying again later: SMTP 4xx, HTTP 5xx, timeouts, refused connections."""


class PermanentFailure(Exception):
    """Trying again will not help: SMTP 5xx, HTTP 410 Gone."""


def retry_delay(attempts: int, jitter: float, *, base: float, cap: float) -> float:
    """Seconds before the next attempt: base doubling per attempt, capped, scaled by jitter.

    Jitter (0.5..1.0) spreads retries so a receiver that comes back is not hit all at once.
    """
    return min(cap, base * 2.0 ** max(attempts - 1, 0)) * jitter
