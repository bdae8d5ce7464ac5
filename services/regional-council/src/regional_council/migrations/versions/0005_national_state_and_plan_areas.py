"""national state of escalated issues; focus areas of received operating plans

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import samverkan_shared.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("issues", sa.Column("national_state", sa.String(length=32), nullable=True))
    op.create_table(
        "plan_areas",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("added_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("plan_areas")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("national_state")
