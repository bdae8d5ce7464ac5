"""search pending list: new issues wait in a short list for the search index, not a long one

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:00:00.000000

A GIN index takes new entries into a pending list and merges them into its tree when the
list outgrows ``gin_pending_list_limit`` (4 MB by default). Every search reads the whole
pending list, row by row, besides the tree. On 1,000,000 issues the rare-word search's index
scan took 4.6-8.8 ms with the list as the queue's own inserts left it, 0.3-0.5 ms once it was
merged (``gin_clean_pending_list``), and 0.3-0.4 ms after 20,000 more issues with the limit at
256 kB. Inserts still go in batches, merged sixteen times as often.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMIT_KB = 256


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":  # SQLite searches with LIKE, no index
        op.execute(f"ALTER INDEX ix_issues_search SET (gin_pending_list_limit = {LIMIT_KB})")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_issues_search RESET (gin_pending_list_limit)")
