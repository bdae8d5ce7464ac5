"""Response bodies of the notification HTTP API: what every route returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from notifications.domain.model import DeliveryStatus
from samverkan_shared.http import ResponseModel

__all__ = [
    "CountOut",
    "DeliveryOut",
    "DigestOut",
    "DigestRunOut",
    "FeedItemOut",
    "RetryOut",
    "SecretOut",
    "SubscriberCreated",
    "SubscriberOut",
    "SubscriptionOut",
]


class SubscriberOut(ResponseModel):
    """A person or a system that hears of events."""

    id: str
    kind: str
    name: str
    role: str
    region: str | None
    organisation: str | None
    email: str | None
    webhook_url: str | None
    language: str
    delivery: str = Field(description="immediate or daily (digest)")
    default_rules: bool
    status: str = Field(description="active, paused (a failing endpoint) or inactive")
    paused_reason: str | None
    paused_at: datetime | None
    unsubscribed_at: datetime | None
    created_at: datetime


class SubscriberCreated(SubscriberOut):
    """The new subscriber, with what is shown once: its webhook secret and feed link."""

    secret: str | None = Field(None, description="whsec_…; only systems have one")
    feed_token: str
    feed_url: str


class SecretOut(ResponseModel):
    """A rotated secret; the previous one still signs until ``previous_expires_at``."""

    secret: str
    previous_expires_at: datetime


class SubscriptionOut(ResponseModel):
    """What a subscriber wants to hear of, and by which channel."""

    id: str
    subscriber_id: str
    email: str | None
    channel: str
    regions: list[str] = Field(description="Region codes; empty means every region")
    areas: list[str] = Field(description="Area codes; empty means every area")
    event_types: list[str] = Field(description="CloudEvents types; empty means every type")
    created_at: datetime
    active: bool = Field(description="False once unsubscribed")


class DeliveryOut(ResponseModel):
    """One notification to one subscriber by one channel, and how sending it went."""

    id: str = Field(description="Also the webhook-id and the mail's Message-ID")
    logical_event_id: str = Field(
        description="The logical (fan-out) event id, the same for every copy of an event"
    )
    event_type: str
    subscriber_id: str
    channel: str
    recipient: str
    subject: str | None = Field(description="The mail's subject, once sent")
    status: DeliveryStatus
    attempts: int = Field(description="Sending attempts made so far")
    next_attempt_at: datetime = Field(description="When a pending delivery is tried next")
    last_error: str | None = Field(description="Why the last failed attempt failed")
    last_attempt_at: datetime | None
    digest_id: str | None = Field(description="The daily digest that carries it")
    created_at: datetime = Field(description="Recorded (or last retried by an operator)")
    sent_at: datetime | None


class CountOut(ResponseModel):
    """How many deliveries have one channel and status."""

    channel: str
    status: DeliveryStatus
    count: int


class RetryOut(ResponseModel):
    """How many dead deliveries are pending again."""

    retried: int


class FeedItemOut(ResponseModel):
    """One entry of a subscriber's in-app feed."""

    id: int = Field(description="Increasing; the SSE event id")
    event_id: str
    type: str
    title: str
    subject: str
    regions: list[str]
    areas: list[str]
    occurred_at: datetime
    created_at: datetime


class DigestOut(ResponseModel):
    """One subscriber's digest of one day."""

    id: str
    subscriber_id: str
    day: str
    status: str = Field(description="pending, sent, empty (nothing happened) or dead")
    items: int
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DigestRunOut(ResponseModel):
    """What a digest run did."""

    day: str
    claimed: int
    sent: int
