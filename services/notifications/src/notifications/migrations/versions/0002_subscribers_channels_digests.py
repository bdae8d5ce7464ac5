"""subscribers, channels (webhook, feed), digests, delivery claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:50:00

Every existing subscription becomes a person subscriber with the same id (so deliveries
already recorded keep pointing at a valid subscriber) and an e-mail subscription. The two
reshaped tables are rebuilt (create new, copy, drop, rename): that works alike on SQLite
and PostgreSQL and keeps every row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from samverkan_shared.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = UTCDateTime(timezone=True)


def _subscriptions(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def _deliveries(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("logical_event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=2000), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", TS, nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("digest_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("logical_event_id", "subscriber_id", "channel"),
    )


_DELIVERY_INDEXES = {
    "ix_deliveries_logical_event_id": ["logical_event_id"],
    "ix_deliveries_next_attempt_at": ["next_attempt_at"],
    "ix_deliveries_status": ["status"],
    "ix_deliveries_subscriber_id": ["subscriber_id"],
}
_COPIED = (
    "id, logical_event_id, event_type, subscriber_id, channel, recipient, subject, body, "
    "status, attempts, next_attempt_at, last_error, created_at, sent_at"
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "subscribers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("default_rules", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("paused_at", TS, nullable=True),
        sa.Column("unsubscribed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subscribers_email", "subscribers", ["email"], unique=False)
    op.execute(
        "INSERT INTO subscribers (id, kind, name, role, email, language, delivery, "
        "default_rules, status, created_at) "
        "SELECT id, 'person', email, 'stakeholder', email, 'sv', 'immediate', false, "
        "CASE WHEN active THEN 'active' ELSE 'inactive' END, created_at FROM subscriptions"
    )
    _subscriptions("subscriptions_new")
    op.execute(
        "INSERT INTO subscriptions_new (id, subscriber_id, channel, regions, areas, "
        "event_types, created_at, active) "
        "SELECT id, id, 'email', regions, '[]', event_types, created_at, active FROM subscriptions"
    )
    _deliveries("deliveries_new")
    op.execute(f"INSERT INTO deliveries_new ({_COPIED}) SELECT {_COPIED} FROM deliveries")
    for index in _DELIVERY_INDEXES:
        op.drop_index(index, table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.rename_table("subscriptions_new", "subscriptions")
    op.rename_table("deliveries_new", "deliveries")
    op.create_index("ix_subscriptions_subscriber_id", "subscriptions", ["subscriber_id"])
    for index, columns in {
        **_DELIVERY_INDEXES,
        "ix_deliveries_digest_id": ["digest_id"],
    }.items():
        op.create_index(index, "deliveries", columns)
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "webhook_secrets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_secrets_subscriber_id", "webhook_secrets", ["subscriber_id"])
    op.create_table(
        "notification_events",
        sa.Column("logical_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("logical_id"),
    )
    op.create_table(
        "feed_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("logical_event_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscriber_id", "logical_event_id"),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscriber_id", "day"),
    )


def downgrade() -> None:
    """Revert this revision: e-mail subscriptions and deliveries survive, the rest goes."""
    op.drop_table("digests")
    op.drop_table("feed_items")
    op.drop_table("notification_events")
    op.drop_index("ix_webhook_secrets_subscriber_id", table_name="webhook_secrets")
    op.drop_table("webhook_secrets")
    op.create_table(
        "subscriptions_old",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO subscriptions_old (id, email, regions, event_types, created_at, active) "
        "SELECT s.subscriber_id, p.email, s.regions, s.event_types, s.created_at, s.active "
        "FROM subscriptions s JOIN subscribers p ON p.id = s.subscriber_id "
        "WHERE s.channel = 'email' AND s.id = s.subscriber_id"
    )
    op.execute(
        "INSERT INTO subscriptions_old (id, email, regions, event_types, created_at, active) "
        "SELECT p.id, p.email, '[]', '[]', p.created_at, false FROM subscribers p "
        "WHERE p.email IS NOT NULL AND p.id NOT IN (SELECT id FROM subscriptions_old)"
    )
    op.create_table(
        "deliveries_old",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("logical_event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriptions_old.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("logical_event_id", "subscriber_id", "channel"),
    )
    op.execute(
        "INSERT INTO deliveries_old (id, logical_event_id, event_type, subscriber_id, channel, "
        "recipient, subject, body, status, attempts, next_attempt_at, last_error, created_at, "
        "sent_at) SELECT id, logical_event_id, event_type, subscriber_id, channel, recipient, "
        "COALESCE(subject, ''), COALESCE(body, ''), status, attempts, next_attempt_at, "
        "last_error, created_at, sent_at FROM deliveries "
        "WHERE channel = 'email' AND subscriber_id IN (SELECT id FROM subscriptions_old)"
    )
    for index in (*_DELIVERY_INDEXES, "ix_deliveries_digest_id", "ix_deliveries_due"):
        op.drop_index(index, table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_subscriptions_subscriber_id", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_subscribers_email", table_name="subscribers")
    op.drop_table("subscribers")
    op.rename_table("subscriptions_old", "subscriptions")
    op.rename_table("deliveries_old", "deliveries")
    for index, columns in _DELIVERY_INDEXES.items():
        op.create_index(index, "deliveries", columns)
