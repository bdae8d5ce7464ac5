"""Refusals a caller can act on: 404 for what is not theirs, 409 naming the current state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from tests.conftest import Network
from tests.infra import eventually

REGION = "stockholm-gotland"
BODY = {
    "title": "Forskarutbildade lärare saknas",
    "summary": "Lärosätet kan inte bemanna kurserna.",
    "areas": ["doctoral-staff"],
    "reason_not_regional": "Kräver nationell finansiering.",
    "requested_outcome": "Nationell bedömning.",
}


async def _escalated(network: Network) -> tuple[str, str]:
    """A fresh escalation, once it is in the national queue: (regional id, national ref)."""
    async with network.client(f"regional-council.{REGION}") as region:
        regional_id = (await region.post("/escalations", json=BODY)).json()["id"]

    async def reference() -> str | None:
        async with network.client(f"regional-council.{REGION}") as region:
            reference: str | None = (await region.get(f"/issues/{regional_id}")).json()[
                "national_reference"
            ]
            return reference

    ref = await eventually(reference, lambda r: r is not None, what="national reference")
    assert ref is not None
    return regional_id, ref


async def test_closing_an_unassessed_issue_is_409_naming_its_state(network: Network) -> None:
    _, ref = await _escalated(network)
    async with network.client("national-council") as national:
        response = await national.post(f"/issues/{ref}/close", json={"text": "Klart."})
        assert response.status_code == 409
        assert "'received'" in response.json()["detail"]
        trail = (await national.get(f"/issues/{ref}")).json()["transitions"]
    assert [t["to_state"] for t in trail] == ["received"]  # nothing half-done


async def test_a_request_cannot_be_answered_twice(network: Network) -> None:
    regional_id, ref = await _escalated(network)
    due = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    async with network.client("national-council") as national:
        asked = await national.post(
            f"/issues/{ref}/information-requests", json={"question": "Hur många?", "due_at": due}
        )
    request_id = asked.json()["request_id"]
    async with network.client(f"regional-council.{REGION}") as region:

        async def state() -> Any:
            return (await region.get(f"/issues/{regional_id}")).json()["state"]

        await eventually(state, lambda s: s == "information_requested", what="request arrived")
        path = f"/issues/{regional_id}/information-requests/{request_id}/answer"
        first = await region.post(path, json={"answer": "Tolv."})
        second = await region.post(path, json={"answer": "Tretton."})
    assert first.status_code == 200, first.text
    assert second.status_code == 409
    assert "was answered" in second.json()["detail"]


async def test_another_regions_issue_is_not_found(network: Network) -> None:
    regional_id, _ = await _escalated(network)
    async with network.client("regional-council.norra") as norra:
        assert (await norra.get(f"/issues/{regional_id}")).status_code == 404
        response = await norra.post(f"/issues/{regional_id}/withdraw", json={"reason": "x"})
        assert response.status_code == 404
    async with network.client("national-council") as national:
        assert (await national.get(f"/issues/{uuid4()}")).status_code == 404
