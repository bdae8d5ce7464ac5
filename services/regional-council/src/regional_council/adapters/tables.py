"""The regional council's tables (it owns them; no other service reads them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from samverkan_shared.areas import define_plan_areas
from samverkan_shared.db import UTCDateTime
from samverkan_shared.inbox import define_inbox
from samverkan_shared.outbox import define_outbox

__all__ = [
    "api_keys",
    "assessments",
    "consultations",
    "idempotency_keys",
    "information_requests",
    "issues",
    "metadata",
    "plan_areas",
]

metadata = MetaData()
# The service owns its outbox and inbox like any other table (and migrates them).
define_outbox(metadata)
define_inbox(metadata)

issues = Table(
    "issues",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(40), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("reason_not_regional", Text),
    Column("measures_tried", Text),
    Column("urgency", String(16)),
    Column("affected_actor_types", JSON),
    Column("requested_outcome", Text),
    Column("national_reference", String(36)),
    Column("acknowledge_by", UTCDateTime),
    Column("answer_by", UTCDateTime),
    Column("guidance", Text),
    Column("resolution", Text),
    Column("correlation_id", String(64)),
    # The sending system's own case id, when the issue came in over the Kafka intake.
    Column("external_reference", String(200), index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("escalated_at", UTCDateTime),
    # Where the escalation stands in the national queue, as the national council last said.
    Column("national_state", String(32)),
)

information_requests = Table(
    "information_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False, index=True),
    Column("question", Text, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("answer", Text),
    Column("answered_at", UTCDateTime),
)

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("addressed_regions", JSON, nullable=False),
    Column("answers", JSON, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("change_note", Text),
    Column("published_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime),
    PrimaryKeyConstraint("assessment_id", "version"),
)

consultations = Table(
    "consultations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("question", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("views", Text),
    Column("responded_at", UTCDateTime),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    # SHA-256 of the key: keys are 256-bit random, so a slow hash adds nothing; the key
    # itself is shown once, at creation, and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(64), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("principal", "key"),
)

plan_areas = define_plan_areas(metadata)
"""Focus areas of the operating plans received: valid areas here besides the base list."""
