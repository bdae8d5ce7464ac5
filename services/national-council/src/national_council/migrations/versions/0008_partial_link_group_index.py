"""index only the issues that are linked: a new issue has no link group

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00.000000

``ix_issues_link_group`` answers one question, "the other issues of this group"
(``link_group = …``), never one about unlinked issues. Every escalation arrives unlinked, and
a B-tree indexes NULLs too, so each new issue paid for an entry nothing reads: 250 new issues
were about 2 ms of PostgreSQL's COPY (README, tenth round). Partial, the index holds only the
linked ones; linking still adds its entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKED = sa.text("link_group IS NOT NULL")


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ix_issues_link_group", table_name="issues")
    op.create_index(
        "ix_issues_link_group",
        "issues",
        ["link_group"],
        postgresql_where=LINKED,
        sqlite_where=LINKED,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_issues_link_group", table_name="issues")
    op.create_index("ix_issues_link_group", "issues", ["link_group"])
