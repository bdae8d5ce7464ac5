"""Settings of the notifications service: its database, HTTP port and mail relay."""

from __future__ import annotations

from pydantic import Field

from samverkan_shared.settings import ServiceSettings

__all__ = ["NotificationSettings"]


class NotificationSettings(ServiceSettings):
    """``SAMVERKAN_SMTP_HOST`` and friends point at the mail relay that delivers for us."""

    http_port: int = Field(8200, ge=1, le=65535)
    database_url: str = "sqlite+aiosqlite:///./.run/data/notifications.db"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(1025, ge=1, le=65535)
    mail_from: str = "samverkan@localhost"
    delivery_max_attempts: int = Field(8, ge=1, description="After this many failures: dead")
