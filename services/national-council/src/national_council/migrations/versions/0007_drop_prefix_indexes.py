"""drop the issues' one-column region and state indexes: two wider indexes begin with each

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:00:00.000000

``ix_issues_region`` is the first column of ``ix_issues_regional`` and of
``ix_issues_region_received_id``; ``ix_issues_state`` is the first column of
``ix_issues_state_received_id``. A B-tree serves any query on its leading column, so the
two answered nothing the wider ones do not, and every new issue paid for both: 14 index
entries became 12 (the queue queries at 1,000,000 issues: README, seventh round).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ix_issues_region", table_name="issues")
    op.drop_index("ix_issues_state", table_name="issues")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_issues_state", "issues", ["state"])
    op.create_index("ix_issues_region", "issues", ["region"])
