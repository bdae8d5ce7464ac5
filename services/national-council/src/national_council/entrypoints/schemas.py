"""Request bodies of the national HTTP API."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from samverkan_shared.contracts.base import AreaCode, LongText, RegionCode, ShortText

__all__ = ["AssessmentIn", "InformationRequestIn", "TextIn"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InformationRequestIn(_Strict):
    """A question for the region, answered by a deadline."""

    question: LongText
    due_at: AwareDatetime


class TextIn(_Strict):
    """Guidance (decline) or resolution (close)."""

    text: LongText


class AssessmentIn(_Strict):
    """A national assessment; ``regions`` empty or absent means every region."""

    title: ShortText
    summary: LongText
    recommendation: LongText
    areas: list[AreaCode] = Field(min_length=1, max_length=20)
    regions: list[RegionCode] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list, description="National issue ids answered")
