"""Request bodies of the HTTP API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from samverkan_shared.contracts import EVENT_TYPES
from samverkan_shared.contracts.base import RegionCode

__all__ = ["SubscriptionIn"]

# Deliberately loose: one @, no whitespace or header-breaking characters; the relay decides.
EMAIL_PATTERN = r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$"


class SubscriptionIn(BaseModel):
    """Who wants mail, about which regions and event types (empty lists mean all)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Annotated[str, Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
    regions: list[RegionCode] = Field(default_factory=list)
    event_types: list[str] = Field(default_factory=list)

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)}")
        return list(dict.fromkeys(value))

    @field_validator("regions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))
