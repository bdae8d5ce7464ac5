"""The notification service's tables (it owns them; no other service reads them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
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

__all__ = [
    "deliveries",
    "digests",
    "feed_items",
    "metadata",
    "notification_events",
    "subscribers",
    "subscriptions",
    "webhook_secrets",
]

metadata = MetaData()
# The service owns its outbox and inbox like any other table (and migrates them).
define_outbox(metadata)
define_inbox(metadata)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),  # person | system
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("region", String(40)),  # a regional member's region
    Column("organisation", String(200)),
    Column("email", String(320), index=True),  # a person's address; a system's owner
    Column("webhook_url", String(2000)),
    Column("language", String(2), nullable=False),
    Column("delivery", String(16), nullable=False),  # immediate | daily
    Column("default_rules", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # active | paused | inactive
    Column("paused_reason", Text),
    Column("paused_at", UTCDateTime),
    Column("unsubscribed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscriber_id", String(36), ForeignKey("subscribers.id"), nullable=False, index=True),
    Column("secret", String(100), nullable=False),  # whsec_<base64>; needed to sign, so kept
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),  # set on rotation: signs beside the new one until then
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscriber_id", String(36), ForeignKey("subscribers.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("regions", JSON, nullable=False),  # empty: every region
    Column("areas", JSON, nullable=False),  # empty: every area
    Column("event_types", JSON, nullable=False),  # empty: every CloudEvents type
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

notification_events = Table(
    "notification_events",
    metadata,
    Column("logical_id", String(64), primary_key=True),  # the fan-out id, else the event id
    Column("type", String(120), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("title", String(300), nullable=False),
    Column("regions", JSON, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("data", JSON, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("logical_event_id", String(64), nullable=False, index=True),
    Column("event_type", String(120), nullable=False),
    Column("subscriber_id", String(36), ForeignKey("subscribers.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(2000), nullable=False),
    Column("subject", String(300)),  # what the mail said, once sent
    Column("body", Text),  # only rows written before migration 0002 carry their text
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("last_error", Text),
    Column("last_attempt_at", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("claimed_until", UTCDateTime),
    Column("digest_id", String(36), index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # One delivery per logical event, subscriber and channel, however many copies arrive.
    UniqueConstraint("logical_event_id", "subscriber_id", "channel"),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)

feed_items = Table(
    "feed_items",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("subscriber_id", String(36), ForeignKey("subscribers.id"), nullable=False),
    Column("logical_event_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("subscriber_id", "logical_event_id"),
)

digests = Table(
    "digests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscriber_id", String(36), ForeignKey("subscribers.id"), nullable=False),
    Column("day", String(10), nullable=False),  # ISO date in the digest time zone
    Column("status", String(16), nullable=False),  # pending | sent | empty | dead
    Column("items", Integer, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # The claim that makes a digest once per subscriber and day, across restarts.
    UniqueConstraint("subscriber_id", "day"),
)
