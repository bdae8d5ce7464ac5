"""National → region events."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from samverkan_shared.contracts.base import (
    AreaCode,
    AssessmentRef,
    AwareDatetime,
    Event,
    IssueEvent,
    LongText,
    RegionCode,
    ShortText,
)
from samverkan_shared.topics import Direction

__all__ = [
    "AssessmentPublished",
    "AssessmentRevised",
    "ConsultationOpened",
    "EscalationDeclined",
    "EscalationReceived",
    "FocusArea",
    "InformationRequested",
    "IssueClosed",
    "IssueProgressed",
    "OperatingPlanPublished",
    "ServiceLevelBreached",
    "ServiceLevelTarget",
]

Fingerprint = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class EscalationReceived(IssueEvent):
    """The national council has the escalation: its reference and service-level target."""

    name = "escalation.received"
    direction = Direction.DOWNSTREAM

    national_reference: UUID
    received_at: AwareDatetime
    acknowledge_by: AwareDatetime
    answer_by: AwareDatetime


class InformationRequested(IssueEvent):
    """A national question about an escalated issue, with a deadline."""

    name = "information.requested"
    direction = Direction.DOWNSTREAM

    national_reference: UUID
    request_id: UUID
    question: LongText
    due_at: AwareDatetime


class EscalationDeclined(IssueEvent):
    """The escalation is returned to the regional level, with guidance."""

    name = "escalation.declined"
    direction = Direction.DOWNSTREAM

    national_reference: UUID
    guidance: LongText
    declined_at: AwareDatetime


class IssueClosed(IssueEvent):
    """The national council closed the issue, with its resolution."""

    name = "issue.closed"
    direction = Direction.DOWNSTREAM

    national_reference: UUID
    resolution: LongText
    closed_at: AwareDatetime


class IssueProgressed(IssueEvent):
    """The national council moved the escalation on (triaged, or taken into assessment)."""

    name = "issue.progressed"
    direction = Direction.DOWNSTREAM

    national_reference: UUID
    from_state: Annotated[str, Field(pattern=r"^[a-z_]{2,32}$")]
    to_state: Annotated[str, Field(pattern=r"^[a-z_]{2,32}$")]
    reason: Annotated[str, Field(max_length=10_000)] = ""
    progressed_at: AwareDatetime


class ServiceLevelTarget(StrEnum):
    """Which national service-level target a breach concerns."""

    ACKNOWLEDGE = "acknowledge"
    ANSWER = "answer"


class ServiceLevelBreached(IssueEvent):
    """An escalated issue passed a national service-level target without being met.

    On the region's downstream topic: the region sees its issue is late, and notifications
    tell national staff. Emitted once per (issue, target) by a check that lives in the
    database, so a restart neither loses nor repeats it.
    """

    name = "sla.breached"
    direction = Direction.DOWNSTREAM

    national_reference: UUID
    target: ServiceLevelTarget
    due_at: AwareDatetime
    breached_at: AwareDatetime


class _Assessment(Event):
    """The fields of a published national assessment version."""

    key_name = "assessment id"

    assessment_id: UUID
    assessment_version: int = Field(ge=1)
    title: ShortText
    summary: LongText
    recommendation: LongText
    areas: list[AreaCode] = Field(min_length=1, max_length=20)
    addressed_regions: list[RegionCode] = Field(min_length=1)
    answers: list[AssessmentRef] = Field(default_factory=list)
    fingerprint: Fingerprint
    published_at: AwareDatetime

    def partition_key(self) -> str:
        return str(self.assessment_id)

    def subject(self) -> str:
        return f"assessments/{self.assessment_id}/versions/{self.assessment_version}"


class AssessmentPublished(_Assessment):
    """A national assessment, addressed to one, several or all regions."""

    name = "assessment.published"
    direction = Direction.DOWNSTREAM


class AssessmentRevised(_Assessment):
    """A new version of a published assessment; regions keep both."""

    name = "assessment.revised"
    direction = Direction.DOWNSTREAM

    change_note: LongText


class ConsultationOpened(Event):
    """The national council asks regions for their views by a deadline."""

    name = "consultation.opened"
    direction = Direction.DOWNSTREAM
    key_name = "consultation id"

    consultation_id: UUID
    question: LongText
    areas: list[AreaCode] = Field(default_factory=list, max_length=20)
    addressed_regions: list[RegionCode] = Field(min_length=1)
    deadline: AwareDatetime

    def partition_key(self) -> str:
        return str(self.consultation_id)

    def subject(self) -> str:
        return f"consultations/{self.consultation_id}"


class FocusArea(BaseModel):
    """One focus area of the year's operating plan."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,59}$")]
    name: ShortText


class OperatingPlanPublished(Event):
    """The year's focus areas (verksamhetsplan); the area list grows from it."""

    name = "operating-plan.published"
    direction = Direction.DOWNSTREAM
    key_name = "plan year"

    year: int = Field(ge=2000, le=2100)
    focus_areas: list[FocusArea] = Field(min_length=1)
    addressed_regions: list[RegionCode] = Field(min_length=1)
    published_at: AwareDatetime

    def partition_key(self) -> str:
        return f"operating-plan-{self.year}"

    def subject(self) -> str:
        return f"operating-plans/{self.year}"
