"""The national council's tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from samverkan_shared.db import UTCDateTime
from samverkan_shared.inbox import define_inbox
from samverkan_shared.outbox import define_outbox

__all__ = [
    "acknowledgements",
    "amendments",
    "assessment_links",
    "assessments",
    "consultation_responses",
    "information_requests",
    "issues",
    "metadata",
    "transitions",
]

metadata = MetaData()
# The service owns its outbox and inbox like any other table (and migrates them).
define_outbox(metadata)
define_inbox(metadata)

issues = Table(
    "issues",
    metadata,
    Column("id", String(36), primary_key=True),  # the national reference
    Column("region", String(40), nullable=False, index=True),
    Column("regional_issue_id", String(36), nullable=False),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("reason_not_regional", Text, nullable=False),
    Column("measures_tried", Text, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("affected_actor_types", JSON, nullable=False),
    Column("requested_outcome", Text, nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("acknowledge_by", UTCDateTime, nullable=False),
    Column("answer_by", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolution", Text),
    Column("correlation_id", String(64), nullable=False),
    Index("ix_issues_regional", "region", "regional_issue_id"),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False, index=True),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("reason", Text),
    Column("at", UTCDateTime, nullable=False),
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

amendments = Table(
    "amendments",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False, index=True),
    Column("amendment", Text, nullable=False),
    Column("amended_at", UTCDateTime, nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("addressed_regions", JSON, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("change_note", Text),
    Column("published_by", String(120), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("id", "version"),
)

assessment_links = Table(
    "assessment_links",
    metadata,
    Column("assessment_id", String(36), nullable=False),
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False),
    PrimaryKeyConstraint("assessment_id", "issue_id"),
)

acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("assessment_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("region", String(40), nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("assessment_id", "version", "region"),
)

consultation_responses = Table(
    "consultation_responses",
    metadata,
    Column("consultation_id", String(36), nullable=False),
    Column("region", String(40), nullable=False),
    Column("views", Text, nullable=False),
    Column("responded_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("consultation_id", "region"),
)
