"""Which regions and areas an event concerns, against real contract models, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from notifications.service_layer.matching import concerned_areas, concerned_regions, headline
from samverkan_shared.contracts import (
    AssessmentPublished,
    ConsultationOpened,
    EscalationReceived,
    IssueEscalated,
)
from samverkan_shared.topics import downstream, upstream

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def assessment(regions: list[str]) -> AssessmentPublished:
    return AssessmentPublished(
        assessment_id=uuid4(),
        assessment_version=1,
        title="Fler VFU-platser",
        summary="Bristen på platser delas av flera regioner.",
        recommendation="Samordna platserna nationellt.",
        areas=["clinical-placement"],
        addressed_regions=regions,
        fingerprint="a" * 64,
        published_at=NOW,
    )


def escalated(region: str) -> IssueEscalated:
    return IssueEscalated(
        issue_id=uuid4(),
        region=region,
        title="Brist på handledare",
        summary="Handledarna räcker inte.",
        areas=["clinical-placement", "continuing-education"],
        reason_not_regional="Gäller hela landet.",
        requested_outcome="En nationell plan.",
        escalated_at=NOW,
    )


def test_addressed_regions_decide_for_a_fanned_out_assessment() -> None:
    assert concerned_regions(assessment(["norra", "sodra"]), downstream("norra")) == [
        "norra",
        "sodra",
    ]


def test_upstream_topic_names_its_region() -> None:
    # The region of an upstream topic wins even if the payload named another region.
    assert concerned_regions(escalated("sodra"), upstream("norra")) == ["norra"]


def test_issue_event_downstream_uses_the_issue_region() -> None:
    event = EscalationReceived(
        issue_id=uuid4(),
        region="vastra",
        national_reference=uuid4(),
        received_at=NOW,
        acknowledge_by=NOW,
        answer_by=NOW,
    )
    assert concerned_regions(event, downstream("vastra")) == ["vastra"]
    assert concerned_areas(event) == []
    assert headline(event, "issues/x") == "issues/x"


def test_consultation_uses_addressed_regions_and_its_question_as_headline() -> None:
    event = ConsultationOpened(
        consultation_id=uuid4(),
        question="Hur många platser behövs?",
        addressed_regions=["mellansverige"],
        deadline=NOW,
    )
    assert concerned_regions(event, downstream("norra")) == ["mellansverige"]
    assert headline(event, "c") == "Hur många platser behövs?"


def test_areas_come_from_the_event() -> None:
    assert concerned_areas(escalated("norra")) == ["clinical-placement", "continuing-education"]
