"""Matching and rendering against real contract models, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from notifications.domain.model import MAX_RETRY_DELAY, retry_delay
from notifications.service_layer.matching import concerned_regions, matches
from notifications.service_layer.rendering import render
from samverkan_shared.contracts import (
    AssessmentPublished,
    ConsultationOpened,
    EscalationReceived,
    IssueEscalated,
)
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_source
from samverkan_shared.topics import downstream, upstream

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _assessment(regions: list[str]) -> AssessmentPublished:
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


def _escalated(region: str) -> IssueEscalated:
    return IssueEscalated(
        issue_id=uuid4(),
        region=region,
        title="Brist på handledare",
        summary="Handledarna räcker inte.",
        areas=["clinical-placement"],
        reason_not_regional="Gäller hela landet.",
        requested_outcome="En nationell plan.",
        escalated_at=NOW,
    )


def _sub(regions: list[str] | None = None, types: list[str] | None = None) -> dict[str, Any]:
    return {"id": "s1", "email": "a@b.se", "regions": regions or [], "event_types": types or []}


def test_addressed_regions_decide_for_a_fanned_out_assessment() -> None:
    event = _assessment(["norra", "sodra"])
    regions = concerned_regions(event, downstream("norra"))
    assert regions == ["norra", "sodra"]
    kind = event.event_type()
    assert matches(_sub(["sodra"]), kind, regions)
    assert not matches(_sub(["vastra"]), kind, regions)
    assert matches(_sub(), kind, regions)


def test_event_type_filter() -> None:
    event = _assessment(["norra"])
    regions = concerned_regions(event, downstream("norra"))
    assert matches(_sub(types=[AssessmentPublished.event_type()]), event.event_type(), regions)
    assert not matches(_sub(types=[IssueEscalated.event_type()]), event.event_type(), regions)
    assert not matches(_sub(["norra"], [IssueEscalated.event_type()]), event.event_type(), regions)


def test_upstream_topic_names_its_region() -> None:
    # The region of an upstream topic wins even if the payload named another region.
    assert concerned_regions(_escalated("sodra"), upstream("norra")) == ["norra"]
    assert concerned_regions(_escalated("norra"), upstream("norra")) == ["norra"]


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


def test_consultation_uses_addressed_regions() -> None:
    event = ConsultationOpened(
        consultation_id=uuid4(),
        question="Hur många platser behövs?",
        addressed_regions=["mellansverige"],
        deadline=NOW,
    )
    assert concerned_regions(event, downstream("norra")) == ["mellansverige"]


def test_render_assessment_names_regions_and_texts() -> None:
    event = _assessment(["norra", "sodra"])
    env = Envelope.wrap(event, NATIONAL_SOURCE, fanout_id="fan-1")
    text = render(env, event, ["norra", "sodra"])
    assert text.subject.startswith("[Samverkan] Assessment published: Fler VFU-platser")
    assert "Norra sjukvårdsregionen, Södra sjukvårdsregionen" in text.body
    assert "Samordna platserna nationellt." in text.body
    assert "fan-1" in text.body  # the logical id, shared by every copy
    assert env.subject in text.body
    assert "\n" not in text.subject


def test_render_issue_event_has_national_reference() -> None:
    ref = uuid4()
    event = EscalationReceived(
        issue_id=uuid4(),
        region="norra",
        national_reference=ref,
        received_at=NOW,
        acknowledge_by=NOW,
        answer_by=NOW,
    )
    env = Envelope.wrap(event, NATIONAL_SOURCE)
    text = render(env, event, ["norra"])
    assert str(ref) in text.body
    assert env.subject in text.subject  # no title: the subject is the headline


def test_render_upstream_event() -> None:
    event = _escalated("norra")
    env = Envelope.wrap(event, region_source("norra"))
    text = render(env, event, ["norra"])
    assert "Issue escalated" in text.subject
    assert "Handledarna räcker inte." in text.body


def test_retry_delay_doubles_and_caps() -> None:
    assert retry_delay(1, 1.0) == 2.0
    assert retry_delay(3, 0.5) == 4.0
    assert retry_delay(20, 1.0) == MAX_RETRY_DELAY
