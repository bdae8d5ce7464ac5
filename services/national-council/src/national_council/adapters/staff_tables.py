"""Tables of the staff accounts, their API tokens and their web sessions.

They live on the same MetaData as the rest of the service, so one migration history covers
everything.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from national_council.adapters.tables import metadata
from samverkan_shared.db import UTCDateTime

__all__ = ["staff_accounts", "staff_sessions", "staff_tokens"]

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),  # argon2id, parameters inside
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("disabled_at", UTCDateTime),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
    Column("last_login_at", UTCDateTime),
)

staff_tokens = Table(
    "staff_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "username", String(64), ForeignKey("staff_accounts.username"), nullable=False, index=True
    ),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the token
    Column("prefix", String(16), nullable=False),  # enough to recognise it in a list
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the cookie value
    Column(
        "username", String(64), ForeignKey("staff_accounts.username"), nullable=False, index=True
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)
