"""A regional system publishes an escalation to Kafka with librdkafka, as any language could."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

from confluent_kafka import Producer

from samverkan_shared.topics import dead_letter, intake, intake_errors
from tests.conftest import Network
from tests.infra import eventually, read_topic

REGION = "vastra"


def _cloudevent(event_id: str, data: dict[str, Any]) -> bytes:
    """Structured content mode: the whole CloudEvent is one JSON document."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "/systems/vastra-journal",
            "type": "se.samverkan.intake.escalation.v1",
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


def _escalation(reference: str) -> dict[str, Any]:
    return {
        "external_reference": reference,
        "title": "Handledare för AT-läkare saknas",
        "summary": "Sjukhusen saknar handledare för allmäntjänstgöringen.",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Kräver nationell överenskommelse.",
        "requested_outcome": "Nationell bedömning.",
        "urgency": "high",
    }


def _publish(network: Network, key: str, value: bytes) -> None:
    producer = Producer({"bootstrap.servers": network.bootstrap, "acks": "all"})
    producer.produce(
        intake(REGION),
        key=key,
        value=value,
        headers=[("content-type", b"application/cloudevents+json; charset=utf-8")],
    )
    assert producer.flush(15) == 0


async def _issues_with(network: Network, reference: str) -> list[dict[str, Any]]:
    async with network.client(f"regional-council.{REGION}") as client:
        rows = (await client.get("/issues", params={"limit": 500})).json()
    return [r for r in rows if r["external_reference"] == reference]


async def test_an_intake_message_becomes_an_escalated_issue_once(network: Network) -> None:
    reference = f"VGR-{uuid4().hex[:8]}"
    event_id = str(uuid4())
    message = _cloudevent(event_id, _escalation(reference))
    await asyncio.to_thread(_publish, network, reference, message)
    await asyncio.to_thread(_publish, network, reference, message)  # the system retried

    [issue] = await eventually(
        lambda: _issues_with(network, reference),
        lambda rows: len(rows) == 1 and rows[0]["national_reference"] is not None,
        what="issue escalated and acknowledged nationally",
    )
    assert issue["state"] == "escalated"
    await asyncio.sleep(1)  # let the retried copy be read too
    assert len(await _issues_with(network, reference)) == 1


async def test_an_invalid_intake_message_is_parked_and_its_sender_told_why(
    network: Network,
) -> None:
    event_id = str(uuid4())
    data = _escalation(f"VGR-{uuid4().hex[:8]}")
    del data["summary"]
    await asyncio.to_thread(_publish, network, "x", _cloudevent(event_id, data))

    async def notices() -> list[dict[str, Any]]:
        records = await read_topic(network.bootstrap, intake_errors(REGION), idle=0.5)
        return [
            json.loads(r.value)
            for r in records
            if json.loads(r.value).get("rejected_event_id") == event_id
        ]

    [notice] = await eventually(notices, lambda found: len(found) == 1, what="error event")
    assert notice["reason"] == "contract-violation"
    assert "summary" in notice["error"]
    parked = await read_topic(network.bootstrap, dead_letter(intake(REGION)), idle=0.5)
    assert any(notice["offset"] == int(dict(r.headers)["dlq-offset"]) for r in parked)
