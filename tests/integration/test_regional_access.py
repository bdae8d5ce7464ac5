"""Regional systems: keys scoped to one region, idempotent creation, and strict isolation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from tests.conftest import Network
from tests.infra import eventually

BIN = Path(sys.executable).parent
BODY = {
    "title": "Specialistutbildning för barnmorskor",
    "summary": "Utbildningsplatserna räcker inte.",
    "areas": ["education-dimensioning"],
    "reason_not_regional": "Kräver nationell dimensionering.",
    "requested_outcome": "Nationell bedömning.",
}


def _cli(network: Network, region: str, *args: str) -> str:
    env = {
        **os.environ,
        "SAMVERKAN_REGION": region,
        "SAMVERKAN_DATABASE_URL": network.databases[f"regional-council.{region}"],
    }
    result = subprocess.run(
        [str(BIN / "regional-council"), "api-key", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _new_key(network: Network, region: str) -> tuple[str, str]:
    out = _cli(network, region, "create", "--name", f"Journalsystem {region}")
    key = next(line for line in out.splitlines() if line.startswith("svk_"))
    key_id = out.split("(id ")[1].split(")")[0].strip()
    return key_id, key


def _client(network: Network, service: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=network.url(service), headers={"Authorization": f"Bearer {key}"}, timeout=10
    )


async def _rows(network: Network, region: str, sql: str) -> list[asyncpg.Record]:
    dsn = network.databases[f"regional-council.{region}"].replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_a_key_works_only_in_its_region_and_only_until_revoked(network: Network) -> None:
    key_id, key = _new_key(network, "vastra")
    async with _client(network, "regional-council.vastra", key) as vastra:
        assert (await vastra.post("/escalations", json=BODY)).status_code == 201
    async with _client(network, "regional-council.sodra", key) as sodra:
        assert (await sodra.get("/issues")).status_code == 401
    stored = await _rows(network, "vastra", "SELECT * FROM api_keys")
    assert all(key not in str(dict(row).values()) for row in stored)  # only the hash is kept
    assert "Journalsystem vastra" in _cli(network, "vastra", "list")
    _cli(network, "vastra", "revoke", key_id)
    async with _client(network, "regional-council.vastra", key) as vastra:
        assert (await vastra.get("/issues")).status_code == 401


async def test_a_retried_escalation_makes_one_issue(network: Network) -> None:
    _, key = _new_key(network, "sodra")
    headers = {"Idempotency-Key": f"journal-{uuid4()}"}
    async with _client(network, "regional-council.sodra", key) as sodra:
        first = await sodra.post("/escalations", json=BODY, headers=headers)
        again = await sodra.post("/escalations", json=BODY, headers=headers)
        other = await sodra.post(
            "/escalations", json={**BODY, "title": "Något annat"}, headers=headers
        )
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    issues = await _rows(
        network, "sodra", f"SELECT id FROM issues WHERE id = '{first.json()['id']}'"
    )
    events = await _rows(
        network, "sodra", f"SELECT id FROM outbox WHERE key = '{first.json()['id']}'::bytea"
    )
    assert (len(issues), len(events)) == (1, 1)
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/issues/{issue}", None),
    ("POST", "/issues/{issue}/escalate", {"reason_not_regional": "x", "requested_outcome": "y"}),
    ("POST", "/issues/{issue}/amend", {"amendment": "x"}),
    ("POST", "/issues/{issue}/withdraw", {"reason": "x"}),
    ("POST", "/issues/{issue}/resolve", {"reason": "x"}),
    ("POST", "/issues/{issue}/information-requests/{request}/answer", {"answer": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_another_regions_issue_cannot_be_touched(
    network: Network, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """norra's key, and norra's service, with sydostra's ids: 404 and no change there."""
    async with network.client("regional-council.sydostra") as sydostra:
        target = (await sydostra.post("/escalations", json=BODY)).json()
    _, norra_key = _new_key(network, "norra")

    async def state() -> str:
        async with network.client("regional-council.sydostra") as client:
            return str((await client.get(f"/issues/{target['id']}")).json()["state"])

    await eventually(state, lambda s: s == "escalated", what="target escalated")
    url = path.format(issue=target["id"], request=uuid4())
    async with _client(network, "regional-council.norra", norra_key) as norra:
        response = await norra.request(method, url, json=body)
    assert response.status_code == 404, response.text
    async with _client(network, "regional-council.sydostra", norra_key) as wrong_service:
        assert (await wrong_service.request(method, url, json=body)).status_code == 401
    assert await state() == "escalated"


async def test_another_regions_assessment_cannot_be_acknowledged(network: Network) -> None:
    """An assessment addressed only to sydostra is not norra's to see or acknowledge."""
    async with network.client("national-council") as national:
        published = await national.post(
            "/assessments",
            json={
                "title": "Bedömning endast för Sydöstra",
                "summary": "Gäller en region.",
                "recommendation": "Regionen agerar.",
                "areas": ["clinical-research"],
                "regions": ["sydostra"],
            },
        )
    assessment_id = published.json()["id"]

    async def held_by(region: str) -> bool:
        async with network.client(f"regional-council.{region}") as client:
            rows = (await client.get("/assessments")).json()
        return any(a["assessment_id"] == assessment_id for a in rows)

    await eventually(lambda: held_by("sydostra"), bool, what="sydostra holds it")
    _, norra_key = _new_key(network, "norra")
    async with _client(network, "regional-council.norra", norra_key) as norra:
        response = await norra.post(f"/assessments/{assessment_id}/versions/1/acknowledge")
    assert response.status_code == 404
    assert not await held_by("norra")
