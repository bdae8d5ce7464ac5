"""Region → national events."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from samverkan_shared.contracts.base import (
    AreaCode,
    AwareDatetime,
    IssueEvent,
    LongText,
    RegionCode,
    ShortText,
    Urgency,
)
from samverkan_shared.contracts.base import Event as _Event
from samverkan_shared.topics import Direction

__all__ = [
    "ActorType",
    "AssessmentAcknowledged",
    "ConsultationResponded",
    "EscalationAmended",
    "EscalationWithdrawn",
    "InformationProvided",
    "IssueEscalated",
]

ActorType = Annotated[str, Field(pattern=r"^(regions|municipalities|universities)$")]


class IssueEscalated(IssueEvent):
    """A regional council could not resolve an issue regionally and escalates it."""

    name = "issue.escalated"
    direction = Direction.UPSTREAM

    title: ShortText
    summary: LongText
    areas: list[AreaCode] = Field(min_length=1, max_length=20)
    reason_not_regional: LongText
    measures_tried: Annotated[str, Field(max_length=10_000)] = ""
    urgency: Urgency = Urgency.NORMAL
    affected_actor_types: list[ActorType] = Field(default_factory=list, max_length=3)
    requested_outcome: LongText
    escalated_at: AwareDatetime


class EscalationAmended(IssueEvent):
    """The region adds detail to an escalation it already sent."""

    name = "escalation.amended"
    direction = Direction.UPSTREAM

    amendment: LongText
    amended_at: AwareDatetime


class EscalationWithdrawn(IssueEvent):
    """The region solved the issue after all and withdraws the escalation."""

    name = "escalation.withdrawn"
    direction = Direction.UPSTREAM

    reason: LongText
    withdrawn_at: AwareDatetime


class InformationProvided(IssueEvent):
    """The region answers a national request for information."""

    name = "information.provided"
    direction = Direction.UPSTREAM

    request_id: UUID
    answer: LongText
    provided_at: AwareDatetime


class AssessmentAcknowledged(_Event):
    """The region confirms it received a national assessment (a given version)."""

    name = "assessment.acknowledged"
    direction = Direction.UPSTREAM
    key_name = "assessment id"

    assessment_id: UUID
    assessment_version: int = Field(ge=1)
    region: RegionCode
    acknowledged_at: AwareDatetime

    def partition_key(self) -> str:
        return str(self.assessment_id)

    def subject(self) -> str:
        return f"assessments/{self.assessment_id}/versions/{self.assessment_version}"


class ConsultationResponded(_Event):
    """The region's views (synpunkter) on a national consultation."""

    name = "consultation.responded"
    direction = Direction.UPSTREAM
    key_name = "consultation id"

    consultation_id: UUID
    region: RegionCode
    views: LongText
    responded_at: AwareDatetime

    def partition_key(self) -> str:
        return str(self.consultation_id)

    def subject(self) -> str:
        return f"consultations/{self.consultation_id}"
