"""Request bodies of the HTTP API: strict, each error names its field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifications.domain.model import Channel, DeliveryMode, Language, Role, SubscriberKind
from samverkan_shared.contracts import EVENT_TYPES
from samverkan_shared.contracts.base import AreaCode, RegionCode

__all__ = [
    "EMAIL_PATTERN",
    "Filters",
    "RotateIn",
    "SubscriberIn",
    "SubscriberPatch",
    "SubscriptionIn",
]

# Deliberately loose: one @, no whitespace or header-breaking characters; the relay decides.
EMAIL_PATTERN = r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$"
URL_PATTERN = r"^https?://[^\s]+$"

Email = Annotated[str, Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
Url = Annotated[str, Field(min_length=8, max_length=2000, pattern=URL_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Filters(_Strict):
    """What a subscription wants: empty lists mean every region, area or type."""

    regions: list[RegionCode] = Field(default_factory=list, max_length=100)
    areas: list[AreaCode] = Field(default_factory=list, max_length=100)
    event_types: list[str] = Field(default_factory=list, max_length=100)
    channel: Channel = Channel.EMAIL

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)}")
        return list(dict.fromkeys(value))

    @field_validator("regions", "areas")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class SubscriptionIn(Filters):
    """A subscription for an existing subscriber, or (shorthand) for a person by e-mail."""

    subscriber_id: str | None = Field(None, pattern=r"^[0-9a-fA-F-]{36}$")
    email: Email | None = None
    language: Language = Language.SV


class SubscriberIn(_Strict):
    """A person (e-mail, feed) or a system (a webhook endpoint)."""

    kind: SubscriberKind = SubscriberKind.PERSON
    name: Name
    role: Role = Role.STAKEHOLDER
    region: RegionCode | None = None
    organisation: Name | None = None
    email: Email | None = Field(None, description="A person's address; a system's owner")
    webhook_url: Url | None = None
    language: Language = Language.SV
    delivery: DeliveryMode = DeliveryMode.IMMEDIATE
    default_rules: bool = Field(True, description="Follow the role's default rules")


class SubscriberPatch(_Strict):
    """Fields a subscriber may change; absent fields stay as they are."""

    name: Name | None = None
    email: Email | None = None
    webhook_url: Url | None = None
    language: Language | None = None
    delivery: DeliveryMode | None = None
    default_rules: bool | None = None


class RotateIn(_Strict):
    """How long the old secret keeps signing beside the new one."""

    overlap_seconds: int = Field(86_400, ge=0, le=30 * 86_400)
