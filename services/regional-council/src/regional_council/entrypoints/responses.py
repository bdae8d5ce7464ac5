"""Response bodies of the regional HTTP API: what every route returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from regional_council.domain.model import RegionalState
from samverkan_shared.contracts.base import Urgency
from samverkan_shared.http import ResponseModel

__all__ = [
    "AnsweredIssueOut",
    "AssessmentVersionOut",
    "ConsultationOut",
    "InformationRequestOut",
    "IssueDetailOut",
    "IssueOut",
]


class IssueOut(ResponseModel):
    """An issue of this region; the escalation fields are null until it is escalated."""

    id: str = Field(description="The region's issue id")
    region: str
    title: str
    summary: str
    areas: list[str] = Field(description="Area codes the issue concerns")
    state: RegionalState
    reason_not_regional: str | None = Field(
        None, description="Why the region cannot resolve it itself"
    )
    measures_tried: str | None = Field(None, description="What the region already tried")
    urgency: Urgency | None = None
    affected_actor_types: list[str] | None = None
    requested_outcome: str | None = Field(
        None, description="What the region asks of the national council"
    )
    national_reference: str | None = Field(
        None, description="The national council's id for the escalation, once it has arrived"
    )
    national_state: str | None = Field(
        None, description="Where the escalation stands in the national queue, as last told"
    )
    acknowledge_by: datetime | None = Field(
        None, description="The national service-level target for acknowledging"
    )
    answer_by: datetime | None = Field(
        None, description="The national service-level target for answering"
    )
    guidance: str | None = Field(
        None, description="The national council's guidance when it declined the escalation"
    )
    resolution: str | None = Field(
        None, description="How the issue was resolved, or why it was withdrawn"
    )
    correlation_id: str | None = Field(
        None, description="Ties together the events about this escalation"
    )
    created_at: datetime
    updated_at: datetime
    escalated_at: datetime | None = None
    external_reference: str | None = Field(
        None, description="The sending system's own case id (Kafka intake)"
    )


class InformationRequestOut(ResponseModel):
    """A question the national council asked about an issue."""

    id: str = Field(description="The request id, used to answer it")
    issue_id: str = Field(description="The region's issue id")
    question: str
    due_at: datetime
    requested_at: datetime
    answer: str | None = Field(None, description="The region's answer, once given")
    answered_at: datetime | None = None
    overdue: bool = Field(False, description="Unanswered and past its deadline")


class IssueDetailOut(IssueOut):
    """An issue with its information requests."""

    information_requests: list[InformationRequestOut] = Field(description="Oldest first")


class AnsweredIssueOut(ResponseModel):
    """A regional issue that a national assessment answers."""

    region: str
    issue_id: str = Field(description="The issue's id at its regional council")


class AssessmentVersionOut(ResponseModel):
    """One version of a national assessment as this region received it."""

    assessment_id: str
    version: int
    title: str
    summary: str
    recommendation: str
    areas: list[str]
    addressed_regions: list[str]
    answers: list[AnsweredIssueOut] = Field(description="The regional issues it answers")
    fingerprint: str = Field(description="SHA-256 of the content, which the region can cite")
    change_note: str | None = Field(None, description="What changed from the previous version")
    published_at: datetime
    received_at: datetime
    acknowledged_at: datetime | None = Field(
        None, description="When the region confirmed receipt; null until then"
    )


class ConsultationOut(ResponseModel):
    """A question the national council put to the regions for their views."""

    id: str
    question: str
    areas: list[str]
    deadline: datetime
    received_at: datetime
    views: str | None = Field(None, description="The region's response, once given")
    responded_at: datetime | None = None
