"""Regional IT systems → their regional council, over Kafka, from any language."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from samverkan_shared.contracts.base import (
    AreaCode,
    AwareDatetime,
    Event,
    LongText,
    RegionCode,
    ShortText,
    Urgency,
)
from samverkan_shared.contracts.upstream import ActorType
from samverkan_shared.topics import Direction

__all__ = ["IntakeEscalation", "IntakeRejected"]

Reference = Annotated[str, Field(min_length=1, max_length=200)]


class IntakeEscalation(Event):
    """A regional system reports an issue and escalates it; the region's council does the rest."""

    name = "intake.escalation"
    direction = Direction.INTAKE
    key_name = "the system's own reference"
    catalogue_row: ClassVar[tuple[str, str, str]] = (
        "`samverkan.<region>.intake`",
        "the region's IT systems (any Kafka client)",
        "regional-council (that region)",
    )

    external_reference: Reference = Field(description="The sending system's own case id")
    region: RegionCode | None = Field(None, description="If given, the region of the topic")
    title: ShortText
    summary: LongText
    areas: list[AreaCode] = Field(min_length=1, max_length=20)
    reason_not_regional: LongText
    requested_outcome: LongText
    measures_tried: Annotated[str, Field(max_length=10_000)] = ""
    urgency: Urgency = Urgency.NORMAL
    affected_actor_types: list[ActorType] = Field(default_factory=list, max_length=3)

    def partition_key(self) -> str:
        return self.external_reference

    def subject(self) -> str:
        return f"intake/{self.external_reference}"


class IntakeRejected(Event):
    """Why an intake message was not accepted (it is in the intake's dead-letter topic)."""

    name = "intake.rejected"
    direction = Direction.INTAKE
    key_name = "the refused message's id"
    catalogue_row: ClassVar[tuple[str, str, str]] = (
        "`samverkan.<region>.intake.errors`",
        "regional-council (that region)",
        "the region's IT systems",
    )

    rejected_event_id: str | None = Field(None, description="ce_id of the refused message")
    reason: Annotated[str, Field(max_length=100)]
    error: Annotated[str, Field(max_length=4000)]
    topic: str
    partition: int
    offset: int
    rejected_at: AwareDatetime

    def partition_key(self) -> str:
        return self.rejected_event_id or f"{self.topic}:{self.partition}:{self.offset}"

    def subject(self) -> str:
        return f"intake/rejected/{self.partition_key()}"
