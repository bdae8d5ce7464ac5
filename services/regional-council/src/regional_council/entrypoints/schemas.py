"""Request bodies of the regional HTTP API, built from the contract's own field types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from samverkan_shared.contracts.base import AreaCode, LongText, RegionCode, ShortText, Urgency
from samverkan_shared.contracts.upstream import ActorType

__all__ = [
    "AmendmentIn",
    "AnswerIn",
    "EscalateNowIn",
    "EscalationIn",
    "NewIssueIn",
    "ReasonIn",
    "ViewsIn",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NewIssueIn(_Strict):
    """An issue a regional system reports."""

    region: RegionCode | None = Field(
        None, description="Optional; if given it must be the region this service serves"
    )
    title: ShortText
    summary: LongText
    areas: list[AreaCode] = Field(min_length=1, max_length=20)


class EscalationIn(_Strict):
    """Why the region cannot resolve it, and what it asks of the national council."""

    reason_not_regional: LongText
    requested_outcome: LongText
    measures_tried: Annotated[str, Field(max_length=10_000)] = ""
    urgency: Urgency = Urgency.NORMAL
    affected_actor_types: list[ActorType] = Field(default_factory=list, max_length=3)


class EscalateNowIn(NewIssueIn, EscalationIn):
    """Register and escalate in one request."""


class AnswerIn(_Strict):
    """The answer to an information request."""

    answer: LongText


class ReasonIn(_Strict):
    """A free-text reason (resolution, withdrawal)."""

    reason: LongText


class AmendmentIn(_Strict):
    """More detail for an escalation already sent."""

    amendment: LongText


class ViewsIn(_Strict):
    """The region's views on a consultation."""

    views: LongText
