"""Request bodies of the national HTTP API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from national_council.domain.model import Priority
from samverkan_shared.contracts.base import AreaCode, LongText, RegionCode, ShortText

__all__ = [
    "AssessmentIn",
    "AssignIn",
    "ConsultationIn",
    "ConsultationSummaryIn",
    "DraftEditIn",
    "FocusAreaIn",
    "InformationRequestIn",
    "LinkIn",
    "OperatingPlanIn",
    "ReasonIn",
    "RevisionIn",
    "TextIn",
    "TriageIn",
]

IssueId = Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$", description="A national reference")]
Username = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
Areas = Annotated[list[AreaCode], Field(min_length=1, max_length=20)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InformationRequestIn(_Strict):
    """A question for the region, answered by a deadline."""

    question: LongText
    due_at: AwareDatetime


class TextIn(_Strict):
    """Guidance (decline) or resolution (close)."""

    text: LongText


class ReasonIn(_Strict):
    """Why (kept in the audit trail)."""

    reason: Annotated[str, Field(max_length=2_000)] | None = None


class TriageIn(_Strict):
    """What triage sets; absent fields stay as they are."""

    priority: Priority | None = None
    areas: Areas | None = None
    assignee: Username | None = None
    reason: Annotated[str, Field(max_length=2_000)] | None = None


class AssignIn(_Strict):
    """A new owner (null: nobody) and why."""

    assignee: Username | None
    reason: Annotated[str, Field(min_length=1, max_length=2_000)]


class LinkIn(_Strict):
    """Another escalation about the same problem."""

    issue_id: IssueId


class AssessmentIn(_Strict):
    """A national assessment; ``regions`` empty or absent means every region."""

    title: ShortText
    summary: LongText
    recommendation: LongText
    areas: Areas
    regions: list[RegionCode] = Field(default_factory=list)
    answers: list[IssueId] = Field(
        default_factory=list,
        description="National issue ids answered (their linked issues are answered too)",
    )


class DraftEditIn(AssessmentIn):
    """A draft's new content; a revision's draft also says what changed."""

    change_note: LongText | None = None


class RevisionIn(AssessmentIn):
    """The next version of an assessment; ``regions`` adds regions to the earlier ones."""

    regions: list[RegionCode] = Field(default_factory=list)
    change_note: LongText


class ConsultationIn(_Strict):
    """A question to the regions (all if none named), answered by the deadline."""

    question: LongText
    areas: list[AreaCode] = Field(default_factory=list, max_length=20)
    regions: list[RegionCode] = Field(default_factory=list)
    deadline: AwareDatetime


class ConsultationSummaryIn(_Strict):
    """The outcome of a consultation, published as an assessment to the consulted regions."""

    title: ShortText
    summary: LongText
    recommendation: LongText
    areas: list[AreaCode] = Field(default_factory=list, max_length=20)


class FocusAreaIn(_Strict):
    """One focus area of the plan: a new code becomes a valid area everywhere."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,59}$")]
    name: ShortText


class OperatingPlanIn(_Strict):
    """The year's operating plan (verksamhetsplan)."""

    year: Annotated[int, Field(ge=2000, le=2100)]
    focus_areas: Annotated[list[FocusAreaIn], Field(min_length=1, max_length=50)]
