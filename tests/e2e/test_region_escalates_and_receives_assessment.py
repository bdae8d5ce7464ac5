"""norra escalates → national asks → norra answers → national assesses for all → everyone knows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from samverkan_shared.registry import load_regions
from samverkan_shared.topics import downstream, upstream
from tests.conftest import Network
from tests.infra import eventually, read_topic

pytestmark = pytest.mark.e2e

ESCALATION = {
    "title": "Brist på VFU-platser för sjuksköterskestudenter",
    "summary": "Lärosätena i regionen kan inte erbjuda VFU till alla antagna studenter.",
    "areas": ["clinical-placement", "education-dimensioning"],
    "reason_not_regional": "Dimensioneringen beslutas nationellt.",
    "measures_tried": "Samordnad placering mellan regionens sjukhus.",
    "urgency": "high",
    "affected_actor_types": ["regions", "universities"],
    "requested_outcome": "En nationell bedömning av VFU-kapaciteten.",
}


async def test_the_dialogue_end_to_end(network: Network) -> None:
    national = network.client("national-council")
    norra = network.client("regional-council.norra")
    notifications = network.client("notifications")

    sub = await notifications.post(
        "/subscriptions",
        json={
            "email": "kansli@example.se",
            "event_types": ["se.samverkan.assessment.published.v1"],
        },
    )
    assert sub.status_code == 201, sub.text

    # 1. norra escalates over HTTP
    created = await norra.post("/escalations", json=ESCALATION)
    assert created.status_code == 201, created.text
    regional_id = created.json()["id"]
    assert created.json()["state"] == "escalated"

    # 2. the issue is in the national queue, and norra learns its national reference
    async def queued() -> list[dict[str, Any]]:
        return [
            i
            for i in (await national.get("/issues", params={"region": "norra"})).json()
            if i["regional_issue_id"] == regional_id
        ]

    [issue] = await eventually(queued, lambda rows: len(rows) == 1, what="issue in national queue")
    assert issue["state"] == "received"
    assert issue["title"] == ESCALATION["title"]
    reference = issue["id"]
    mine = await eventually(
        lambda: _json(norra, f"/issues/{regional_id}"),
        lambda i: i["national_reference"] == reference,
        what="norra holds the national reference",
    )
    assert mine["answer_by"] is not None

    # 3. national requests information; norra sees the request
    due = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    asked = await national.post(
        f"/issues/{reference}/information-requests",
        json={"question": "Hur många platser saknas per termin?", "due_at": due},
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["request_id"]
    pending = await eventually(
        lambda: _json(norra, f"/issues/{regional_id}"),
        lambda i: i["state"] == "information_requested",
        what="norra sees the information request",
    )
    assert [r["id"] for r in pending["information_requests"]] == [request_id]

    # 4. norra answers; the national issue is back in assessment with the answer
    answered = await norra.post(
        f"/issues/{regional_id}/information-requests/{request_id}/answer",
        json={"answer": "Cirka 120 platser per termin."},
    )
    assert answered.status_code == 200, answered.text
    detail = await eventually(
        lambda: _json(national, f"/issues/{reference}"),
        lambda i: i["state"] == "in_assessment",
        what="national receives the answer",
    )
    assert detail["information_requests"][0]["answer"] == "Cirka 120 platser per termin."
    assert [t["to_state"] for t in detail["transitions"]] == [
        "received",
        "in_assessment",
        "awaiting_region",
        "in_assessment",
    ]

    # 5. national publishes an assessment to all regions, answering norra's issue
    published = await national.post(
        "/assessments",
        json={
            "title": "Nationell bedömning av VFU-kapaciteten",
            "summary": "Bristen finns i flera regioner.",
            "recommendation": "Lärosätena och regionerna tar fram en gemensam VFU-plan.",
            "areas": ["clinical-placement"],
            "answers": [reference],
        },
    )
    assert published.status_code == 201, published.text
    assessment_id = published.json()["id"]
    assert published.json()["addressed_regions"] == [r.code for r in load_regions()]

    # 6. every one of the six regional services holds it
    for region in load_regions():
        client = network.client(f"regional-council.{region.code}")
        held = await eventually(
            partial(_json, client, "/assessments"),
            lambda rows: any(a["assessment_id"] == assessment_id for a in rows),
            what=f"{region.code} holds the assessment",
        )
        [copy] = [a for a in held if a["assessment_id"] == assessment_id]
        assert copy["fingerprint"] == published.json()["fingerprint"]
    assert (await _json(norra, f"/issues/{regional_id}"))["state"] == "answered"
    assert (await _json(national, f"/issues/{reference}"))["state"] == "assessed"

    # 7. the subscribed address received exactly one email, though six copies were sent
    mails = await eventually(
        lambda: _mail_to(network, "kansli@example.se"),
        lambda found: len(found) >= 1,
        what="email in the SMTP server",
    )
    assert "Nationell bedömning av VFU-kapaciteten" in mails[0]["subject"] + mails[0]["body"]
    deliveries = await eventually(
        lambda: _json(
            notifications, "/deliveries", params={"subscriber_id": sub.json()["subscriber_id"]}
        ),
        lambda rows: len(rows) >= 1 and all(d["status"] == "sent" for d in rows),
        what="delivery recorded as sent",
    )
    assert len(deliveries) == 1
    assert len(await _mail_to(network, "kansli@example.se")) == 1

    # 8. an operator sees the same story in the metrics: applied events, nothing left unsent
    metrics = (await national.get("/metrics")).text
    applied = _sample(
        metrics, 'samverkan_events_consumed_total{consumer="national-council",outcome="applied"}'
    )
    assert applied >= 2  # the escalation and the answer, at least
    assert _sample(metrics, "samverkan_outbox_backlog") == 0


async def test_what_the_services_publish_is_read_by_the_official_sdk(network: Network) -> None:
    """Every record on norra's two topics parses as a CloudEvent with our extensions."""
    norra = network.client("regional-council.norra")
    created = await norra.post("/escalations", json=ESCALATION)
    assert created.status_code == 201, created.text
    await eventually(
        lambda: _json(norra, f"/issues/{created.json()['id']}"),
        lambda i: i["national_reference"] is not None,
        what="the national reply on norra's downstream topic",
    )
    # What the services published about this issue: other tests also put hand-made records
    # (malformed, unsequenced, old versions) on norra's topics, and those are not ours to check.
    subject = f"issues/{created.json()['id']}".encode()
    for topic in (upstream("norra"), downstream("norra")):
        records = [
            r
            for r in await read_topic(network.bootstrap, topic)
            if (dict(r.headers).get("ce_subject") == subject)
        ]
        assert records, f"nothing about the issue on {topic}"
        for rec in records:
            event = from_binary_event(
                KafkaMessage(headers=dict(rec.headers), key=rec.key, value=rec.value)
            )
            assert event.get_type().startswith("se.samverkan.")
            assert event.get_extension("partitionkey") == rec.key.decode()
            assert int(event.get_extension("sequence")) >= 1
            assert event.get_extension("correlationid")
            assert event.get_data()


async def _json(client: Any, path: str, **kw: Any) -> Any:
    response = await client.get(path, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def _sample(metrics: str, name: str) -> float:
    [line] = [m for m in metrics.splitlines() if m.startswith(name + " ")]
    return float(line.rsplit(" ", 1)[1])


async def _mail_to(network: Network, address: str) -> list[dict[str, str]]:
    return [m for m in network.mail.messages() if address in m["to"]]
