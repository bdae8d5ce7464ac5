"""search statistics: a finer sample of the words in the queue's search document

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:00:00.000000

PostgreSQL chooses, for a search sorted by age, between the GIN index (find every match,
sort them) and walking the age index until enough rows match. It guesses how many issues
hold a word from ANALYZE's sample of the index expression; with the default sample a word
in 0.1 % of 1,000,000 issues was sometimes guessed at twice that, and the plan flipped to the
walk: `make bench` measured that search at p50 722 ms in one run and 4 ms in another, and six
ANALYZEs of the same data chose the walk once. With 1,000 as the statistics target the guess
stayed within 8 % of the truth in eight ANALYZEs and the GIN plan was chosen every time. The
price is a slower ANALYZE (about 10 s for 1,000,000 issues on two slow cores; autovacuum does
it in the background).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TARGET = 1000


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":  # SQLite searches with LIKE, no index
        op.execute(f"ALTER INDEX ix_issues_search ALTER COLUMN 1 SET STATISTICS {TARGET}")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_issues_search ALTER COLUMN 1 SET STATISTICS -1")
