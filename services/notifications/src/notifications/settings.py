"""Settings of the notifications service: database, HTTP, mail relay, webhooks, retries, digest."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from samverkan_shared.settings import IDLE_FETCH_WAIT, Environment, ServiceSettings, fetch_wait

__all__ = ["DEV_LINK_SECRET", "NotificationSettings"]

DEV_LINK_SECRET = "dev-link-secret"


class NotificationSettings(ServiceSettings):
    """``SAMVERKAN_SMTP_HOST`` and friends; every delay and limit is a setting."""

    http_port: int = Field(8200, ge=1, le=65535)
    # E-mail and webhooks are not a 25 ms matter, and this consumer reads every dialogue
    # topic: a longer fetch wait gathers a quarter second of events into one transaction.
    # At 30 escalations a second it cost 2.5-3.2 ms of CPU an escalation, against 7.0-7.6 ms
    # at the dialogue's 25 ms (README, eighth round).
    kafka_fetch_max_wait_ms: int = fetch_wait(
        250,
        "How long the broker may hold a fetch while records flow: a quarter second of events in one transaction",
    )
    # Idle: the same 250 ms, Tansu's longest single hold (README, decisions).
    kafka_idle_fetch_max_wait_ms: int = fetch_wait(250, IDLE_FETCH_WAIT)
    database_url: str = "sqlite+aiosqlite:///./.run/data/notifications.db"
    public_url: str | None = Field(
        None, description="Base URL in links (unsubscribe, feed); default http://host:port"
    )
    link_secret: SecretStr = Field(
        SecretStr(DEV_LINK_SECRET), description="Signs unsubscribe and feed links"
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(30.0, gt=0)
    mail_from: str = "samverkan@localhost"
    email_concurrency: int = Field(4, ge=1, le=64, description="SMTP connections kept open")
    webhook_concurrency: int = Field(32, ge=1, le=512, description="Webhook requests at once")
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    endpoint_queue: int = Field(
        20, ge=1, description="Deliveries held in memory per webhook endpoint"
    )
    db_writers: int = Field(
        4, ge=1, le=20, description="Database connections the senders use for outcomes"
    )
    claim_batch: int = Field(200, ge=1, le=5000)
    claim_lease_seconds: float = Field(
        30.0, ge=1, description="A claim not renewed for this long may be taken over"
    )
    sender_idle_poll_seconds: float = Field(1.0, gt=0)
    retry_base_seconds: float = Field(5.0, gt=0, description="First retry after about this")
    retry_max_delay_seconds: float = Field(3600.0, gt=0)
    delivery_max_age_seconds: float = Field(
        86_400.0, gt=0, description="A delivery still failing after this is dead"
    )
    delivery_max_attempts: int = Field(25, ge=1, description="After this many failures: dead")
    digest_hour: int = Field(7, ge=0, le=23, description="Daily digests go out from this hour")
    digest_timezone: str = "Europe/Stockholm"

    @model_validator(mode="after")
    def _no_default_link_secret_in_production(self) -> NotificationSettings:
        if (
            self.environment is Environment.PRODUCTION
            and self.link_secret.get_secret_value() == DEV_LINK_SECRET
        ):
            raise ValueError("SAMVERKAN_LINK_SECRET must be set in production")
        return self

    @property
    def base_url(self) -> str:
        """Where links in mail point."""
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")
