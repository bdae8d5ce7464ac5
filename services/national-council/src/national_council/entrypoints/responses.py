"""Response bodies of the national HTTP API: what every route returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from national_council.domain.model import NationalState, Priority
from samverkan_shared.contracts.base import Urgency
from samverkan_shared.http import ResponseModel

__all__ = [
    "AcknowledgementOut",
    "AmendmentOut",
    "AreaOut",
    "AssessmentDetailOut",
    "AssessmentVersionOut",
    "BreachOut",
    "ClockOut",
    "ConsultationOut",
    "DraftOut",
    "FocusAreaOut",
    "InformationRequestOut",
    "IssueDetailOut",
    "IssueOut",
    "OperatingPlanOut",
    "PublishedAssessmentOut",
    "QueueStatsOut",
    "RegionViewsOut",
    "RequestCreatedOut",
    "TargetOut",
    "TransitionOut",
]


class TargetOut(ResponseModel):
    """One service-level target of an issue."""

    due_at: datetime
    met_at: datetime | None = Field(None, description="When it was met")
    seconds_left: float | None = Field(
        None, description="Negative: overdue by; null once met or the issue ended"
    )
    overdue: bool


class ClockOut(ResponseModel):
    """The service-level clock of an issue."""

    acknowledge: TargetOut
    answer: TargetOut
    paused: bool = Field(description="The answer clock waits while the region is asked")
    overdue: bool


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
    priority: Priority = Field(description="Set at triage; the region's urgency until then")
    assignee: str | None = Field(None, description="The staff member who owns the issue")
    acknowledged_at: datetime | None = Field(None, description="When staff first acted on it")
    answered_at: datetime | None = Field(None, description="When it was assessed or declined")
    paused_at: datetime | None = Field(
        None, description="Since when the answer clock stands still (awaiting the region)"
    )
    link_group: str | None = Field(None, description="Shared by linked escalations")
    sla: ClockOut = Field(description="Time left, or overdue, for each service-level target")


class TransitionOut(ResponseModel):
    """One audited state change of an issue."""

    id: int
    issue_id: str = Field(description="The national reference of the issue")
    from_state: NationalState | None = Field(description="None for the first row (received)")
    to_state: NationalState
    actor: str = Field(description="Who made the change")
    reason: str | None = None
    at: datetime
    action: str = Field(description="'transition' for a state change; else triage, assign…")


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


class BreachOut(ResponseModel):
    """A service-level target that passed unmet (announced once)."""

    target: str
    due_at: datetime
    breached_at: datetime


class IssueDetailOut(IssueOut):
    """An issue with its audit trail, information requests and amendments."""

    transitions: list[TransitionOut] = Field(description="The audit trail, oldest first")
    information_requests: list[InformationRequestOut]
    amendments: list[AmendmentOut]
    linked_issues: list[str] = Field(description="Other escalations linked with this one")
    assessments: list[str] = Field(description="Assessments that answer this issue")
    sla_breaches: list[BreachOut]


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
    newly_answered: list[str] = Field(description="Issues this version moved to assessed")


class DraftOut(ResponseModel):
    """An assessment draft (of version 1, or of a revision)."""

    id: str = Field(description="The draft id")
    assessment_id: str = Field(description="The assessment it becomes (or revises)")
    revises: int | None = Field(None, description="The version it revises; null for a new one")
    title: str
    summary: str
    recommendation: str
    areas: list[str]
    regions: list[str] = Field(description="Addressed regions; empty means every region")
    answers: list[str]
    change_note: str | None = None
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    published_version: int | None = Field(None, description="Set once published")


class RegionViewsOut(ResponseModel):
    """One addressed region's views on a consultation (null: not yet given)."""

    region: str
    views: str | None = None
    responded_at: datetime | None = None


class ConsultationOut(ResponseModel):
    """A consultation with every addressed region's views side by side."""

    id: str
    question: str
    areas: list[str]
    addressed_regions: list[str]
    deadline: datetime
    opened_by: str
    opened_at: datetime
    state: str = Field(description="open, past_deadline or concluded")
    summary_assessment_id: str | None = Field(None, description="The concluding assessment")
    responses: list[RegionViewsOut] = Field(description="In the order of the region registry")


class FocusAreaOut(ResponseModel):
    """One focus area of an operating plan."""

    code: str
    name: str


class OperatingPlanOut(ResponseModel):
    """A published version of a year's operating plan."""

    year: int
    version: int
    focus_areas: list[FocusAreaOut]
    addressed_regions: list[str]
    published_by: str
    published_at: datetime


class AreaOut(ResponseModel):
    """A valid area code."""

    code: str
    name: str
    source: str = Field(description="'base' (the area list) or 'operating-plan'")


class QueueStatsOut(ResponseModel):
    """Figures for the dashboard."""

    by_region: dict[str, int]
    by_area: dict[str, int]
    overdue: int
    median_seconds_to_answer: float | None = None
