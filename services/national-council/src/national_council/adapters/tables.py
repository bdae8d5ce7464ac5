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
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)

from samverkan_shared.areas import define_plan_areas
from samverkan_shared.db import UTCDateTime
from samverkan_shared.inbox import define_inbox
from samverkan_shared.outbox import define_outbox

__all__ = [
    "SEARCH_CONFIG",
    "acknowledgements",
    "amendments",
    "assessment_drafts",
    "assessment_links",
    "assessments",
    "consultation_responses",
    "consultations",
    "information_requests",
    "issue_areas",
    "issues",
    "metadata",
    "operating_plans",
    "plan_areas",
    "search_document",
    "sla_breaches",
    "transitions",
]

SEARCH_CONFIG = "simple"
"""Text-search configuration: no stemming, so Swedish, English and codes all match as typed."""

metadata = MetaData()
# The service owns its outbox and inbox like any other table (and migrates them).
define_outbox(metadata)
define_inbox(metadata)

issues = Table(
    "issues",
    metadata,
    Column("id", String(36), primary_key=True),  # the national reference
    # region and state have no index of their own: the wider indexes below begin with them.
    Column("region", String(40), nullable=False),
    Column("regional_issue_id", String(36), nullable=False),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("reason_not_regional", Text, nullable=False),
    Column("measures_tried", Text, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("affected_actor_types", JSON, nullable=False),
    Column("requested_outcome", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("acknowledge_by", UTCDateTime, nullable=False),
    Column("answer_by", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolution", Text),
    Column("correlation_id", String(64), nullable=False),
    # Triage: 0 low … 3 critical (the region's urgency until staff set it), and the owner.
    Column("priority", SmallInteger, nullable=False, server_default=text("1")),
    Column("assignee", String(64)),
    # Service-level clocks (domain/sla.py): when each target was met; when the clock paused.
    Column("acknowledged_at", UTCDateTime),
    Column("answered_at", UTCDateTime),
    Column("paused_at", UTCDateTime),
    # Linked escalations about the same problem share a group id (the first issue's id).
    Column("link_group", String(36)),
    Index("ix_issues_regional", "region", "regional_issue_id"),
    # Keyset pagination: each sortable column with the id as tie-breaker.
    Index("ix_issues_received_id", "received_at", "id"),
    Index("ix_issues_updated_id", "updated_at", "id"),
    Index("ix_issues_answer_by_id", "answer_by", "id"),
    Index("ix_issues_priority_id", "priority", "id"),
    Index("ix_issues_state_received_id", "state", "received_at", "id"),
    Index("ix_issues_region_received_id", "region", "received_at", "id"),
    Index("ix_issues_assignee", "assignee"),
    # Only linked issues: every escalation arrives unlinked (migration 0008).
    Index(
        "ix_issues_link_group",
        "link_group",
        postgresql_where=text("link_group IS NOT NULL"),
        sqlite_where=text("link_group IS NOT NULL"),
    ),
)


def search_document() -> object:
    """The full-text document of an issue (PostgreSQL): its title and summary."""
    return func.to_tsvector(
        text(f"'{SEARCH_CONFIG}'"), issues.c.title + text("' '") + issues.c.summary
    )


# A GIN index over the document; PostgreSQL only (SQLite searches with LIKE instead). Written
# as PostgreSQL prints it back, so the migration check compares like with like; the planner
# matches it to search_document() in queries.
Index(
    "ix_issues_search",
    text(f"to_tsvector('{SEARCH_CONFIG}'::regconfig, (title::text || ' '::text) || summary)"),
    postgresql_using="gin",
    # A short pending list: a search reads all of it (migration 0006).
    postgresql_with={"gin_pending_list_limit": 256},
    _table=issues,
).ddl_if(dialect="postgresql")

issue_areas = Table(
    "issue_areas",
    metadata,
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False),
    Column("area", String(60), nullable=False),
    PrimaryKeyConstraint("issue_id", "area"),
    Index("ix_issue_areas_area", "area", "issue_id"),
)
"""The areas of each issue, one row each, so the queue filters by area with an index."""

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
    # "transition" for a state change; otherwise what was done in place (triage, assign, link…)
    Column("action", String(24), nullable=False, server_default="transition"),
)

sla_breaches = Table(
    "sla_breaches",
    metadata,
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False),
    Column("target", String(16), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("breached_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("issue_id", "target"),
)
"""One row per (issue, target) that passed unmet: the key makes the breach event once-only."""

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

assessment_drafts = Table(
    "assessment_drafts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("assessment_id", String(36), nullable=False, index=True),
    Column("revises", Integer),  # the version this draft revises; None for a new assessment
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("regions", JSON, nullable=False),
    Column("answers", JSON, nullable=False),
    Column("change_note", Text),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_by", String(120), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("published_version", Integer),
)

consultations = Table(
    "consultations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("question", Text, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("addressed_regions", JSON, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("opened_by", String(120), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("summary_assessment_id", String(36)),
)

operating_plans = Table(
    "operating_plans",
    metadata,
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("focus_areas", JSON, nullable=False),
    Column("addressed_regions", JSON, nullable=False),
    Column("published_by", String(120), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("year", "version"),
)

plan_areas = define_plan_areas(metadata)

consultation_responses = Table(
    "consultation_responses",
    metadata,
    Column("consultation_id", String(36), nullable=False),
    Column("region", String(40), nullable=False),
    Column("views", Text, nullable=False),
    Column("responded_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("consultation_id", "region"),
)
