"""The base of every event contract: frozen, versioned, tolerant of unknown fields on the way in."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from samverkan_shared.registry import region_codes
from samverkan_shared.topics import Direction

__all__ = [
    "AreaCode",
    "AwareDatetime",
    "Event",
    "LongText",
    "RegionCode",
    "ShortText",
    "Urgency",
]

TYPE_PREFIX = "se.samverkan"


def utc(dt: datetime) -> datetime:
    """Refuse naive datetimes: every time in a contract is timezone-aware."""
    if dt.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    return dt


def _known_region(code: str) -> str:
    if code not in region_codes():
        raise ValueError(f"unknown region {code!r}; the registry has {sorted(region_codes())}")
    return code


RegionCode = Annotated[str, Field(min_length=2, max_length=40), AfterValidator(_known_region)]
# An area code in a contract is checked for form only: the vocabulary grows with every
# operating plan, and an event naming a new area may arrive before the plan that defines it
# (another partition). Each service checks membership where areas enter it (its HTTP edge,
# the Kafka intake) against its own vocabulary: samverkan_shared.areas.
AreaCode = Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z][a-z0-9-]{1,59}$")]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
AwareDatetime = Annotated[datetime, AfterValidator(utc)]
LongText = Annotated[str, Field(min_length=1, max_length=10_000)]


class Urgency(StrEnum):
    """How soon the region needs an answer; drives the national service-level target."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class Event(BaseModel):
    """An event of the dialogue. Subclasses set ``name``, ``version`` and ``direction``."""

    # Unknown fields are ignored on the way in (a newer minor version may add optional
    # fields); the type checker's pydantic plugin refuses unknown fields on the way out.
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    name: ClassVar[str]
    version: ClassVar[int] = 1
    direction: ClassVar[Direction]
    key_name: ClassVar[str] = "id"
    """What the partition key is, in words (for the catalogue)."""

    @classmethod
    def event_type(cls) -> str:
        """The CloudEvents ``type``: ``se.samverkan.<name>.v<major>``."""
        return f"{TYPE_PREFIX}.{cls.name}.v{cls.version}"

    # Abstract: pydantic's model metaclass is an ABCMeta, so a contract that forgets either
    # cannot be instantiated.
    @abstractmethod
    def partition_key(self) -> str:
        """The Kafka key: all events of one issue (or assessment) share a partition."""

    @abstractmethod
    def subject(self) -> str:
        """The CloudEvents ``subject``: what the event is about."""


class IssueEvent(Event):
    """An event about one regional issue; keyed by the region's issue id."""

    key_name = "regional issue id"

    issue_id: UUID
    region: RegionCode

    def partition_key(self) -> str:
        return str(self.issue_id)

    def subject(self) -> str:
        return f"issues/{self.issue_id}"


class AssessmentRef(BaseModel):
    """Which regional issue a national assessment answers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    region: RegionCode
    issue_id: UUID
