"""Settings of staff sign-in: sessions, lockout, and the development admin account."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_ADMIN_PASSWORD", "DEV_ADMIN_USERNAME", "StaffSettings"]

DEV_ADMIN_USERNAME = "admin"
DEV_ADMIN_PASSWORD = "dev-admin-password"


class StaffSettings(BaseSettings):
    """How staff sign in to the web UI and the HTTP API."""

    model_config = SettingsConfigDict(
        env_prefix="SAMVERKAN_", env_nested_delimiter="__", extra="ignore"
    )

    session_cookie_secure: bool | None = Field(
        None, description="Send the session cookie over HTTPS only; default: on in production"
    )
    session_hours: float = Field(10, gt=0, description="A web session ends after this long")
    session_idle_minutes: float = Field(
        120, gt=0, description="…or after this long without a request"
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed passwords in a row before the account is locked"
    )
    login_lockout_minutes: float = Field(15, gt=0, description="How long a lockout lasts")
    dev_admin_password: SecretStr = Field(
        SecretStr(DEV_ADMIN_PASSWORD),
        description="Password of the 'admin' account created at start in development only",
    )
