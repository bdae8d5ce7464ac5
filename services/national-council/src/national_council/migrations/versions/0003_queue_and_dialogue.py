"""queue (triage, clocks, links, areas, search), drafts, consultations, operating plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import samverkan_shared.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = samverkan_shared.db.UTCDateTime(timezone=True)
_PRIORITY_OF_URGENCY = (
    "CASE urgency WHEN 'low' THEN 0 WHEN 'high' THEN 2 WHEN 'critical' THEN 3 ELSE 1 END"
)
_SORT_INDEXES = {
    "ix_issues_received_id": ["received_at", "id"],
    "ix_issues_updated_id": ["updated_at", "id"],
    "ix_issues_answer_by_id": ["answer_by", "id"],
    "ix_issues_priority_id": ["priority", "id"],
    "ix_issues_state_received_id": ["state", "received_at", "id"],
    "ix_issues_region_received_id": ["region", "received_at", "id"],
    "ix_issues_assignee": ["assignee"],
    "ix_issues_link_group": ["link_group"],
}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("issues") as batch:
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default=sa.text("1"), nullable=False)
        )
        batch.add_column(sa.Column("assignee", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", _DT, nullable=True))
        batch.add_column(sa.Column("answered_at", _DT, nullable=True))
        batch.add_column(sa.Column("paused_at", _DT, nullable=True))
        batch.add_column(sa.Column("link_group", sa.String(length=36), nullable=True))
    op.execute(f"UPDATE issues SET priority = {_PRIORITY_OF_URGENCY}")
    for name, columns in _SORT_INDEXES.items():
        op.create_index(name, "issues", columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_issues_search ON issues "
            "USING gin (to_tsvector('simple', title || ' ' || summary))"
        )
    with op.batch_alter_table("transitions") as batch:
        batch.add_column(
            sa.Column("action", sa.String(length=24), server_default="transition", nullable=False)
        )
    op.create_table(
        "issue_areas",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("area", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"]),
        sa.PrimaryKeyConstraint("issue_id", "area"),
    )
    op.create_index("ix_issue_areas_area", "issue_areas", ["area", "issue_id"], unique=False)
    _backfill_issue_areas()
    op.create_table(
        "sla_breaches",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("due_at", _DT, nullable=False),
        sa.Column("breached_at", _DT, nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"]),
        sa.PrimaryKeyConstraint("issue_id", "target"),
    )
    op.create_table(
        "assessment_drafts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        sa.Column("revises", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", _DT, nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", _DT, nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_assessment_drafts_assessment_id"),
        "assessment_drafts",
        ["assessment_id"],
        unique=False,
    )
    op.create_table(
        "consultations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("addressed_regions", sa.JSON(), nullable=False),
        sa.Column("deadline", _DT, nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("opened_at", _DT, nullable=False),
        sa.Column("summary_assessment_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "operating_plans",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("focus_areas", sa.JSON(), nullable=False),
        sa.Column("addressed_regions", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.Column("published_at", _DT, nullable=False),
        sa.PrimaryKeyConstraint("year", "version"),
    )
    op.create_table(
        "plan_areas",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("added_at", _DT, nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )


def _backfill_issue_areas() -> None:
    """Issues received before this revision get their area rows from the JSON column."""
    bind = op.get_bind()
    issues = sa.table("issues", sa.column("id", sa.String), sa.column("areas", sa.JSON))
    rows = bind.execute(sa.select(issues.c.id, issues.c.areas)).all()
    values = [{"issue_id": i, "area": a} for i, areas in rows for a in dict.fromkeys(areas or [])]
    if values:
        target = sa.table("issue_areas", sa.column("issue_id"), sa.column("area"))
        bind.execute(target.insert(), values)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("plan_areas")
    op.drop_table("operating_plans")
    op.drop_table("consultations")
    op.drop_index(op.f("ix_assessment_drafts_assessment_id"), table_name="assessment_drafts")
    op.drop_table("assessment_drafts")
    op.drop_table("sla_breaches")
    op.drop_index("ix_issue_areas_area", table_name="issue_areas")
    op.drop_table("issue_areas")
    with op.batch_alter_table("transitions") as batch:
        batch.drop_column("action")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_issues_search")
    for name in _SORT_INDEXES:
        op.drop_index(name, table_name="issues")
    with op.batch_alter_table("issues") as batch:
        for column in (
            "link_group",
            "paused_at",
            "answered_at",
            "acknowledged_at",
            "assignee",
            "priority",
        ):
            batch.drop_column(column)
