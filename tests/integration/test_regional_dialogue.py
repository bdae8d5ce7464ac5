"""The regional side of the dialogue: overdue requests are visible; consultations are answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer

from samverkan_shared.contracts import AssessmentPublished, AssessmentRevised, ConsultationOpened
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope
from samverkan_shared.topics import downstream
from tests.conftest import Network
from tests.infra import eventually, send

REGION = "sydostra"
BODY = {
    "title": "Fortbildning i förlossningsvård",
    "summary": "Barnmorskor saknar fortbildningstid.",
    "areas": ["continuing-education"],
    "reason_not_regional": "Kräver nationell finansiering.",
    "requested_outcome": "Nationell bedömning.",
}


async def test_an_overdue_request_is_marked_as_such(network: Network) -> None:
    async with network.client(f"regional-council.{REGION}") as region:
        issue = (await region.post("/escalations", json=BODY)).json()

        async def reference() -> Any:
            return (await region.get(f"/issues/{issue['id']}")).json()["national_reference"]

        ref = await eventually(reference, lambda r: r is not None, what="national reference")
        async with network.client("national-council") as national:
            for days in (-1, 7):  # one already late, one not
                due = (datetime.now(UTC) + timedelta(days=days)).isoformat()
                asked = await national.post(
                    f"/issues/{ref}/information-requests",
                    json={"question": f"Frist {days} dagar?", "due_at": due},
                )
                assert asked.status_code == 201, asked.text

        async def mine() -> list[dict[str, Any]]:
            rows = (await region.get("/information-requests")).json()
            return [r for r in rows if r["issue_id"] == issue["id"]]

        late, timely = await eventually(mine, lambda rows: len(rows) == 2, what="both requests")
    assert (late["question"], late["overdue"]) == ("Frist -1 dagar?", True)
    assert (timely["question"], timely["overdue"]) == ("Frist 7 dagar?", False)


async def test_a_region_answers_a_consultation_once_before_its_deadline(
    network: Network, producer: AIOKafkaProducer
) -> None:
    consultation_id = uuid4()
    opened = ConsultationOpened(
        consultation_id=consultation_id,
        question="Hur bör VFU dimensioneras?",
        areas=["clinical-placement"],
        addressed_regions=[REGION],
        deadline=datetime.now(UTC) + timedelta(days=14),
    )
    await send(producer, downstream(REGION), Envelope.wrap(opened, NATIONAL_SOURCE))
    async with network.client(f"regional-council.{REGION}") as region:

        async def listed() -> list[dict[str, Any]]:
            rows = (await region.get("/consultations")).json()
            return [c for c in rows if c["id"] == str(consultation_id)]

        await eventually(listed, lambda rows: len(rows) == 1, what="consultation received")
        path = f"/consultations/{consultation_id}/respond"
        first = await region.post(path, json={"views": "Utgå från regionernas prognoser."})
        second = await region.post(path, json={"views": "Ett andra svar."})
    assert first.status_code == 200, first.text
    assert second.status_code == 409

    async def at_national() -> list[asyncpg.Record]:
        dsn = network.databases["national-council"].replace("+asyncpg", "")
        conn = await asyncpg.connect(dsn)
        try:
            return list(
                await conn.fetch(
                    "SELECT region, views FROM consultation_responses WHERE consultation_id = $1",
                    str(consultation_id),
                )
            )
        finally:
            await conn.close()

    [row] = await eventually(at_national, lambda rows: len(rows) == 1, what="views at national")
    assert (row["region"], row["views"]) == (REGION, "Utgå från regionernas prognoser.")


async def test_a_revised_assessment_is_kept_beside_the_first_version(
    network: Network, producer: AIOKafkaProducer
) -> None:
    """Regions see both versions of a revised assessment, each with its own fingerprint."""
    assessment_id = uuid4()
    common: dict[str, Any] = {
        "assessment_id": assessment_id,
        "title": "Nationell bedömning av fortbildningen",
        "summary": "Fortbildningen behöver finansieras nationellt.",
        "areas": ["continuing-education"],
        "addressed_regions": [REGION],
        "published_at": datetime.now(UTC),
    }
    first = AssessmentPublished(
        **common, assessment_version=1, recommendation="Avsätt medel.", fingerprint="a" * 64
    )
    revised = AssessmentRevised(
        **common,
        assessment_version=2,
        recommendation="Avsätt medel från 2027.",
        fingerprint="b" * 64,
        change_note="Startåret angivet.",
    )
    for event in (first, revised):
        await send(producer, downstream(REGION), Envelope.wrap(event, NATIONAL_SOURCE))
    async with network.client(f"regional-council.{REGION}") as region:

        async def versions() -> list[dict[str, Any]]:
            rows = (await region.get("/assessments")).json()
            return sorted(
                (a for a in rows if a["assessment_id"] == str(assessment_id)),
                key=lambda a: a["version"],
            )

        v1, v2 = await eventually(versions, lambda rows: len(rows) == 2, what="both versions")
        acked = await region.post(f"/assessments/{assessment_id}/versions/2/acknowledge")
    assert (v1["fingerprint"], v2["fingerprint"]) == ("a" * 64, "b" * 64)
    assert v2["change_note"] == "Startåret angivet."
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
