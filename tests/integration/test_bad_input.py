"""Bad input gets a 4xx naming the field; nothing is written and no event is sent."""

from __future__ import annotations

import asyncpg
import pytest

from samverkan_shared.topics import upstream
from tests.conftest import Network
from tests.infra import end_offsets

REGION = "sydostra"

VALID = {
    "title": "Kompetensbehov inom psykiatrin",
    "summary": "Regionen kan inte rekrytera tillräckligt.",
    "areas": ["new-competence-needs"],
    "reason_not_regional": "Kräver nationell utbildningsdimensionering.",
    "requested_outcome": "Nationell bedömning.",
}


async def _counts(network: Network) -> tuple[int, int, int]:
    dsn = network.databases[f"regional-council.{REGION}"].replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        issues = await conn.fetchval("SELECT count(*) FROM issues")
        outbox = await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()
    return issues, outbox, await end_offsets(network.bootstrap, upstream(REGION))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({k: v for k, v in VALID.items() if k != "summary"}, 422, "summary"),
        ({**VALID, "region": "atlantis"}, 422, "region"),
        ({**VALID, "region": "norra"}, 422, "region"),
        ({**VALID, "areas": ["astrology"]}, 422, "areas"),
        ({**VALID, "summary": "x" * 70_000}, 413, "body"),
    ],
    ids=["missing-summary", "unknown-region", "another-region", "unknown-area", "over-size-limit"],
)
async def test_bad_escalation_is_refused_and_leaves_no_trace(
    network: Network, body: dict[str, object], status: int, field: str
) -> None:
    before = await _counts(network)
    async with network.client(f"regional-council.{REGION}") as client:
        response = await client.post("/escalations", json=body)
    assert response.status_code == status, response.text
    locs = [err["loc"] for err in response.json()["detail"]]
    assert any(loc[-1] == field or (field == "areas" and "areas" in loc) for loc in locs), locs
    assert await _counts(network) == before


async def test_requests_without_the_token_are_refused(network: Network) -> None:
    async with network.client(f"regional-council.{REGION}") as client:
        response = await client.post("/escalations", json=VALID, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_valid_escalation_does_write(network: Network) -> None:
    """The control case: the counters above do move when the input is good."""
    before = await _counts(network)
    async with network.client(f"regional-council.{REGION}") as client:
        response = await client.post("/escalations", json=VALID)
    assert response.status_code == 201, response.text
    issues, outbox, _ = await _counts(network)
    assert (issues, outbox) == (before[0] + 1, before[1] + 1)
