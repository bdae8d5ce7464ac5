"""Response bodies of the notification HTTP API: what every route returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from notifications.domain.model import DeliveryStatus
from samverkan_shared.http import ResponseModel

__all__ = ["DeliveryOut", "SubscriptionOut"]


class SubscriptionOut(ResponseModel):
    """Who gets mail, about which regions and event types."""

    id: str = Field(description="The subscriber id that deliveries refer to")
    email: str
    regions: list[str] = Field(description="Region codes; empty means every region")
    event_types: list[str] = Field(description="CloudEvents types; empty means every type")
    created_at: datetime
    active: bool = Field(description="False once unsubscribed")


class DeliveryOut(ResponseModel):
    """One notification to one subscriber, and how sending it went."""

    id: str
    logical_event_id: str = Field(
        description="The logical (fan-out) event id, the same for every copy of an event"
    )
    event_type: str = Field(description="The CloudEvents type of the event")
    subscriber_id: str = Field(description="The id of the subscription it is for")
    channel: str = Field(description="How it is sent (only 'email' so far)")
    recipient: str
    subject: str
    body: str
    status: DeliveryStatus
    attempts: int = Field(description="Sending attempts made so far")
    next_attempt_at: datetime = Field(description="When a pending delivery is tried next")
    last_error: str | None = Field(None, description="Why the last attempt failed")
    created_at: datetime
    sent_at: datetime | None = None
