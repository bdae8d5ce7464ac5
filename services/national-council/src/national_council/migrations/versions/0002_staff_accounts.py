"""staff accounts, API tokens and web sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import samverkan_shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "staff_accounts",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("disabled_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", samverkan_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["staff_accounts.username"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_staff_tokens_username"), "staff_tokens", ["username"], unique=False)
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", samverkan_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["staff_accounts.username"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index(
        op.f("ix_staff_sessions_username"), "staff_sessions", ["username"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_staff_sessions_username"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index(op.f("ix_staff_tokens_username"), table_name="staff_tokens")
    op.drop_table("staff_tokens")
    op.drop_table("staff_accounts")
