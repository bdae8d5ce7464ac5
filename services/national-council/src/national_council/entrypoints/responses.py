"""Response bodies of the national HTTP API: what every route returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from national_council.domain.model import NationalState
from samverkan_shared.contracts.base import Urgency
from samverkan_shared.http import ResponseModel

__all__ = [
    "AcknowledgementOut",
    "AmendmentOut",
    "AssessmentDetailOut",
    "AssessmentVersionOut",
    "InformationRequestOut",
    "IssueDetailOut",
    "IssueOut",
    "PublishedAssessmentOut",
    "RequestCreatedOut",
    "TransitionOut",
]


class IssueOut(ResponseModel):
    """An escalation in the national queue."""

    id: str = Field(description="The national reference")
    region: str = Field(description="The region that escalated the issue")
    regional_issue_id: str = Field(description="The issue's id at the regional council")
    title: str
    summary: str
    areas: list[str] = Field(description="Area codes the issue concerns")
    reason_not_regional: str = Field(description="Why the region cannot resolve it itself")
    measures_tried: str = Field(description="What the region already tried")
    urgency: Urgency
    affected_actor_types: list[str]
    requested_outcome: str = Field(description="What the region asks of the national council")
    state: NationalState
    received_at: datetime
    acknowledge_by: datetime = Field(description="Service-level target for acknowledging")
    answer_by: datetime = Field(description="Service-level target for answering")
    updated_at: datetime
    resolution: str | None = Field(
        None, description="The guidance (declined) or resolution (closed), once ended"
    )
    correlation_id: str = Field(description="Ties together the events about this issue")


class TransitionOut(ResponseModel):
    """One audited state change of an issue."""

    id: int
    issue_id: str = Field(description="The national reference of the issue")
    from_state: NationalState | None = Field(description="None for the first row (received)")
    to_state: NationalState
    actor: str = Field(description="Who made the change")
    reason: str | None = None
    at: datetime


class InformationRequestOut(ResponseModel):
    """A question the national council asked the region."""

    id: str = Field(description="The request id the region answers")
    issue_id: str = Field(description="The national reference of the issue")
    question: str
    due_at: datetime
    requested_at: datetime
    answer: str | None = Field(None, description="The region's answer, once given")
    answered_at: datetime | None = None


class AmendmentOut(ResponseModel):
    """Detail the region added to its escalation."""

    id: int
    issue_id: str = Field(description="The national reference of the issue")
    amendment: str
    amended_at: datetime


class IssueDetailOut(IssueOut):
    """An issue with its audit trail, information requests and amendments."""

    transitions: list[TransitionOut] = Field(description="The audit trail, oldest first")
    information_requests: list[InformationRequestOut]
    amendments: list[AmendmentOut]


class RequestCreatedOut(IssueOut):
    """The issue after an information request, with the new request's id."""

    request_id: str = Field(description="The id of the information request just created")


class AssessmentVersionOut(ResponseModel):
    """One published version of a national assessment."""

    id: str = Field(description="The assessment id (shared by all its versions)")
    version: int
    title: str
    summary: str
    recommendation: str
    areas: list[str]
    addressed_regions: list[str]
    fingerprint: str = Field(description="SHA-256 of the content, which regions can cite")
    change_note: str | None = Field(None, description="What changed from the previous version")
    published_by: str
    published_at: datetime


class AcknowledgementOut(ResponseModel):
    """A region's confirmation that it received an assessment version."""

    assessment_id: str
    version: int
    region: str
    acknowledged_at: datetime


class AssessmentDetailOut(ResponseModel):
    """Every version of an assessment, the issues it answers and who acknowledged it."""

    id: str = Field(description="The assessment id")
    versions: list[AssessmentVersionOut] = Field(description="Oldest version first")
    answers: list[str] = Field(description="National references of the issues it answers")
    acknowledgements: list[AcknowledgementOut]


class PublishedAssessmentOut(ResponseModel):
    """A newly published assessment."""

    id: str = Field(description="The assessment id")
    version: int
    fingerprint: str = Field(description="SHA-256 of the content, which regions can cite")
    addressed_regions: list[str] = Field(description="The regions it was sent to")
    answers: list[str] = Field(description="National references of the issues it answers")
