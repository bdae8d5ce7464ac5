"""Services on different contract versions run together, in both directions.

The "previous version" of a service is simulated at the wire: the test produces exactly what
that version put on its topic (a frozen payload of the first v1 escalation, signed with the
region's real key), and what a newer version would add (an optional field the running
services do not know). The running services are the current code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from aiokafka import AIOKafkaProducer

from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_source
from samverkan_shared.topics import downstream, upstream
from tests.conftest import Network
from tests.infra import eventually, national_queue, send

pytestmark = pytest.mark.e2e

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
ESCALATED = "se.samverkan.issue.escalated.v1"

# What the first v1 regional service (commit e9d1a61) sent: only the fields that version
# required; the optional measures_tried, urgency and affected_actor_types came to be used later.
FIRST_V1_FIELDS = {
    "title",
    "summary",
    "areas",
    "reason_not_regional",
    "requested_outcome",
    "escalated_at",
    "issue_id",
    "region",
}


def _envelope(event_type: str, source: str, key: str, data: dict[str, Any]) -> Envelope:
    event_id = str(uuid4())
    return Envelope(
        id=event_id,
        source=source,
        type=event_type,
        subject=f"issues/{key}",
        time=datetime.now(UTC),
        dataschema=f"urn:samverkan:schema:{event_type}",
        partitionkey=key,
        data=json.dumps(data).encode(),
        correlationid=event_id,
    )


def _escalation(region: str, issue_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "issue_id": issue_id,
        "region": region,
        "title": f"Blandade versioner {issue_id[:8]}",
        "summary": "Skickad av en regional tjänst på en annan kontraktsversion.",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Beslutas nationellt.",
        "requested_outcome": "En nationell bedömning.",
        "escalated_at": datetime.now(UTC).isoformat(),
        **extra,
    }


async def _queued(network: Network, region: str, issue_id: str) -> dict[str, Any]:
    async with network.client("national-council") as national:

        async def rows() -> list[dict[str, Any]]:
            found = await national_queue(national, region=region)
            return [r for r in found if r["regional_issue_id"] == issue_id]

        [row] = await eventually(rows, lambda r: len(r) == 1, what=f"{issue_id} in the queue")
        return row


async def test_an_older_regional_escalation_is_queued_by_the_current_national(
    network: Network, producer: AIOKafkaProducer
) -> None:
    region, issue_id = "mellansverige", str(uuid4())
    data = _escalation(region, issue_id)
    assert set(data) == FIRST_V1_FIELDS
    # The old payload still satisfies today's committed schema: v1 only gained optional fields.
    schema = json.loads((SCHEMAS / f"{ESCALATED}.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    env = network.signer(region).sign(_envelope(ESCALATED, region_source(region), issue_id, data))
    await send(producer, upstream(region), env)

    row = await _queued(network, region, issue_id)
    assert row["title"] == data["title"]
    assert row["state"] == "received"


async def test_a_newer_regional_escalation_with_an_added_field_is_queued(
    network: Network, producer: AIOKafkaProducer
) -> None:
    region, issue_id = "sydostra", str(uuid4())
    data = _escalation(region, issue_id, urgency="high", patient_safety_risk=True)  # v1.1 field
    env = network.signer(region).sign(_envelope(ESCALATED, region_source(region), issue_id, data))
    await send(producer, upstream(region), env)

    row = await _queued(network, region, issue_id)
    assert row["title"] == data["title"]


async def test_a_newer_national_request_with_an_added_field_reaches_the_current_region(
    network: Network, producer: AIOKafkaProducer
) -> None:
    async with network.client("regional-council.norra") as norra:
        created = await norra.post(
            "/escalations",
            json={
                k: v
                for k, v in _escalation("norra", "x").items()
                if k not in ("issue_id", "escalated_at", "region")
            },
        )
        assert created.status_code == 201, created.text
        issue_id = created.json()["id"]
        issue = await eventually(
            lambda: _json(norra, f"/issues/{issue_id}"),
            lambda i: i["national_reference"] is not None,
            what="norra holds the national reference",
        )
        request_id = str(uuid4())
        data = {
            "issue_id": issue_id,
            "region": "norra",
            "national_reference": issue["national_reference"],
            "request_id": request_id,
            "question": "Hur många platser saknas?",
            "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            "answer_channel": "portal",  # what a newer national service might add
        }
        env = _envelope("se.samverkan.information.requested.v1", NATIONAL_SOURCE, issue_id, data)
        await send(producer, downstream("norra"), env)

        asked = await eventually(
            lambda: _json(norra, f"/issues/{issue_id}"),
            lambda i: i["state"] == "information_requested",
            what="norra applies the newer request",
        )
    assert [r["id"] for r in asked["information_requests"]] == [request_id]


async def _json(client: Any, path: str) -> Any:
    return (await client.get(path)).json()
