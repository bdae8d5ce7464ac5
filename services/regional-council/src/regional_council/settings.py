"""Settings of a regional council deployment; the region is chosen here, never by a copy."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from samverkan_shared.registry import region_codes
from samverkan_shared.settings import DatabaseSettings, ServiceSettings

__all__ = ["RegionalAdminSettings", "RegionalSettings"]


class RegionalAdminSettings(DatabaseSettings):
    """What the administrative commands need: the region and its database."""

    region: str = Field(description="Region code from the region registry")
    database_url: str = "sqlite+aiosqlite:///./.run/data/regional.db"

    @field_validator("region")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in region_codes():
            raise ValueError(f"unknown region {value!r}; the registry has {sorted(region_codes())}")
        return value


class RegionalSettings(ServiceSettings, RegionalAdminSettings):
    """``SAMVERKAN_REGION`` picks which health-care region this deployment serves."""

    signing_key_id: str = Field(description="Id of this region's signing key in the key registry")
    signing_key_file: Path = Field(description="File holding the Ed25519 private key (base64)")
    http_port: int = Field(8101, ge=1, le=65535)
    database_url: str = "sqlite+aiosqlite:///./.run/data/regional.db"
