"""The notification service's tables (it owns them; no other service reads them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from samverkan_shared.db import UTCDateTime
from samverkan_shared.inbox import define_inbox
from samverkan_shared.outbox import define_outbox

__all__ = ["deliveries", "metadata", "subscriptions"]

metadata = MetaData()
# The service owns its outbox and inbox like any other table (and migrates them).
define_outbox(metadata)
define_inbox(metadata)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("regions", JSON, nullable=False),  # empty: every region
    Column("event_types", JSON, nullable=False),  # empty: every CloudEvents type
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("logical_event_id", String(64), nullable=False, index=True),
    Column("event_type", String(120), nullable=False),
    Column("subscriber_id", String(36), ForeignKey("subscriptions.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # One mail per logical event and subscriber, however many copies of the event arrive.
    UniqueConstraint("logical_event_id", "subscriber_id", "channel"),
)
