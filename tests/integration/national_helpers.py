"""Helpers for the national queue tests: escalate through a region, read downstream events."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from samverkan_shared.topics import downstream
from tests.conftest import Network
from tests.infra import eventually, read_topic

__all__ = ["downstream_events", "escalate", "regional_issue"]


async def escalate(network: Network, region: str, **fields: Any) -> tuple[str, str]:
    """A region escalates an issue; returns (regional id, national reference) once queued."""
    body = {
        "title": fields.pop("title", f"Ärende {uuid4().hex[:8]}"),
        "summary": "Regionen kan inte lösa frågan själv.",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Kräver nationellt beslut.",
        "requested_outcome": "En nationell bedömning.",
        **fields,
    }
    async with network.client(f"regional-council.{region}") as client:
        created = await client.post("/escalations", json=body)
        assert created.status_code == 201, created.text
        regional_id = created.json()["id"]

        async def reference() -> Any:
            return (await client.get(f"/issues/{regional_id}")).json()["national_reference"]

        ref = await eventually(reference, lambda r: r is not None, what="national reference")
    return regional_id, str(ref)


async def regional_issue(network: Network, region: str, regional_id: str) -> dict[str, Any]:
    """The issue as the region holds it."""
    async with network.client(f"regional-council.{region}") as client:
        response = await client.get(f"/issues/{regional_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def downstream_events(
    network: Network, region: str, event_type: str, **match: str
) -> list[dict[str, Any]]:
    """The data of every event of a type on a region's downstream topic matching fields."""
    found = []
    for record in await read_topic(network.bootstrap, downstream(region), idle=0.5):
        headers = {k: v.decode() for k, v in record.headers}
        if headers.get("ce_type") != event_type:
            continue
        data = json.loads(record.value)
        if all(str(data.get(k)) == v for k, v in match.items()):
            found.append(data)
    return found
