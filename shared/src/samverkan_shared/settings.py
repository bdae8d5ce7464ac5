"""Settings shared by every service: small mixins composed into one class per service."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEV_API_TOKEN",
    "IDLE_FETCH_WAIT",
    "MAX_OVERFLOW",
    "POOL_SIZE",
    "DatabaseSettings",
    "Environment",
    "HttpSettings",
    "KafkaSettings",
    "ServiceSettings",
    "fetch_wait",
]

DEV_API_TOKEN = "dev-token"


class Environment(StrEnum):
    """Where the service runs; production refuses development defaults."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class _Base(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAMVERKAN_", env_nested_delimiter="__", extra="ignore"
    )


IDLE_FETCH_WAIT = "The fetch wait of a consumer that has had nothing for kafka_idle_after_ms"


def fetch_wait(default: int, description: str) -> Any:
    """A fetch wait setting (a service may choose its own default)."""
    return Field(default, ge=1, le=5_000, description=description)


class KafkaSettings(_Base):
    """How to reach the broker."""

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="host:port[,host:port]")
    kafka_idempotent_producer: bool = Field(
        False, description="On for Apache Kafka; Tansu rejects it. Correctness never needs it."
    )
    kafka_session_timeout_ms: int = Field(10_000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(1_000, ge=100)
    # 250, not 500: a national council behind a backlog peaked at 158-163 MiB with 500 and
    # 147-149 MiB with 250 (a batch's rows, receipts and decoded events are held together),
    # at the same rate within the machine's noise (README, sixth round).
    kafka_batch_max_records: int = Field(
        250, ge=1, le=10_000, description="Records a consumer applies in one transaction, at most"
    )
    # 512 KiB (128 KiB a partition), not 2 MiB (256 KiB): a national council behind 20,000
    # escalations peaked at 140-142 MiB instead of 149-150 (its signature helper included),
    # at the same rate within the noise (README, ninth round). A busy consumer's next fetch
    # leaves as soon as one returns, so this is what waits in memory, not the pace.
    kafka_fetch_max_bytes: int = Field(
        512 * 1024,
        ge=65_536,
        description="Bytes a consumer's fetch brings at most (what it buffers ahead of its batches)",
    )
    kafka_max_partition_fetch_bytes: int = Field(
        128 * 1024,
        ge=65_536,
        description="Bytes one partition adds to a fetch at most; above the largest event (64 KiB)",
    )
    # Not aiokafka's 16 KiB: the relay sends a drain's records of a topic in one produce
    # request instead of one request every 16 KiB (at ingest Tansu's CPU per escalation halved,
    # the national council's fell 5 %; README, ninth round). linger_ms stays 0, so a lone
    # record is sent at once whatever this says.
    kafka_producer_batch_bytes: int = Field(
        256 * 1024,
        ge=65_536,
        le=1_000_000,
        description="Bytes the producer sends to one partition in one request at most"
        " (below the broker's message.max.bytes, 1 MiB by default)",
    )
    kafka_fetch_max_wait_ms: int = fetch_wait(
        25,
        "How long the broker may hold a fetch while records flow (Tansu may hold a fetch of several"
        " partitions that long though records arrived)",
    )
    kafka_idle_fetch_max_wait_ms: int = fetch_wait(200, IDLE_FETCH_WAIT)
    kafka_idle_after_ms: int = Field(
        2_000,
        ge=100,
        description="How long without records before a consumer fetches at the idle pace",
    )
    # Long: a poll returns the moment a fetch brings records (pace.wait_for_batches), so this
    # is only how often a consumer with nothing to do wakes up.
    kafka_batch_wait_ms: int = Field(
        250,
        ge=1,
        le=1_000,
        description="How long one poll waits for records; it returns as soon as a fetch brings some",
    )

    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="SASL_SSL with a SCRAM user in production (Strimzi KafkaUser)"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*"
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user (the service's principal)")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password")
    kafka_ssl_cafile: str | None = Field(
        None, description="CA certificate (PEM) of the broker's TLS listener; system CAs if unset"
    )

    @model_validator(mode="after")
    def _idle_fetch_not_quicker_than_busy(self) -> KafkaSettings:
        if self.kafka_idle_fetch_max_wait_ms < self.kafka_fetch_max_wait_ms:
            raise ValueError(
                f"SAMVERKAN_KAFKA_IDLE_FETCH_MAX_WAIT_MS ({self.kafka_idle_fetch_max_wait_ms})"
                f" is below SAMVERKAN_KAFKA_FETCH_MAX_WAIT_MS ({self.kafka_fetch_max_wait_ms}):"
                " an idle consumer would fetch more often than a busy one"
            )
        return self


# Ten at most: a network is many services on one PostgreSQL (max_connections is 100 out of the
# box), and each service's work is short transactions. All ten are kept once opened: an
# "overflow" connection is closed at every return to a full pool, so under steady load (five
# pooled + five overflow before) a region opened up to 20 new PostgreSQL sessions in 15 s at
# 200 escalations/s — each a backend forked, a handshake, statements prepared again — on the
# request that needed it. A request beyond ten waits for one instead.
POOL_SIZE = 10
"""PostgreSQL connections a service opens as needed and keeps."""
MAX_OVERFLOW = 0
"""Connections beyond ``POOL_SIZE``, each closed again when it comes back."""


class DatabaseSettings(_Base):
    """The service's own database (SQLite file by default, PostgreSQL in production)."""

    database_url: str = Field(
        "sqlite+aiosqlite:///./.run/data/service.db", description="SQLAlchemy async URL"
    )
    database_pool_size: int = Field(
        POOL_SIZE,
        ge=1,
        le=100,
        description="PostgreSQL connections the service keeps open once opened",
    )
    database_max_overflow: int = Field(
        MAX_OVERFLOW,
        ge=0,
        le=100,
        description="extra PostgreSQL connections at peaks, each closed again after its use",
    )


class HttpSettings(_Base):
    """The HTTP API."""

    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    api_token: SecretStr = Field(
        SecretStr(DEV_API_TOKEN), description="Bearer token for the HTTP API"
    )
    max_body_bytes: int = Field(65_536, ge=1024, description="Requests above this get 413")


class ServiceSettings(KafkaSettings, DatabaseSettings, HttpSettings):
    """What every service needs."""

    environment: Environment = Environment.DEVELOPMENT
    log_format: Literal["console", "json"] | None = Field(
        None, description="Default: console in development, JSON in production"
    )
    log_level: str = "INFO"
    migrate_on_start: bool = Field(
        True, description="Apply migrations at start; off where a migration job runs first"
    )
    outbox_idle_poll_seconds: float = Field(
        1.0, gt=0, description="Relay safety poll; commits wake it at once"
    )

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> ServiceSettings:
        if (
            self.environment is Environment.PRODUCTION
            and self.api_token.get_secret_value() == DEV_API_TOKEN
        ):
            raise ValueError("SAMVERKAN_API_TOKEN must be set in production")
        return self

    @property
    def json_logs(self) -> bool:
        """Whether log lines are JSON."""
        if self.log_format is None:
            return self.environment is Environment.PRODUCTION
        return self.log_format == "json"
