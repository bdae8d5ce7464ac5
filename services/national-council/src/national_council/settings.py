"""Settings of the national council service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from national_council.domain.model import ServiceLevels
from national_council.staff_settings import StaffSettings
from samverkan_shared.contracts import Urgency
from samverkan_shared.settings import ServiceSettings

__all__ = ["NationalSettings"]


class NationalSettings(ServiceSettings, StaffSettings):
    """The national council: its database, and the service-level targets."""

    http_port: int = Field(8000, ge=1, le=65535)
    database_url: str = "sqlite+aiosqlite:///./.run/data/national.db"
    key_registry_file: Path = Field(
        description="JSON registry of the regions' public signing keys and validity windows"
    )
    sla_acknowledge_hours: float = Field(24, gt=0, description="Acknowledge an escalation within")
    sla_answer_days: dict[Urgency, float] = Field(
        default_factory=lambda: {
            Urgency.CRITICAL: 2.0,
            Urgency.HIGH: 7.0,
            Urgency.NORMAL: 30.0,
            Urgency.LOW: 60.0,
        },
        description="Answer within, by urgency (JSON object)",
    )

    sla_check_seconds: float = Field(
        30, gt=0, description="How often the database is asked for breached service levels"
    )

    def service_levels(self) -> ServiceLevels:
        """The targets as the domain uses them."""
        return ServiceLevels(
            timedelta(hours=self.sla_acknowledge_hours),
            {u: timedelta(days=d) for u, d in self.sla_answer_days.items()},
        )
