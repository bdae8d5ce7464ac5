"""Traffic: escalations from every region over HTTP, and national assessments answering them.

A client retries with the same Idempotency-Key until the region acknowledges (2xx), as a
regional system would; only acknowledged escalations are counted and checked.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field

import httpx

from samverkan_shared.settings import DEV_API_TOKEN
from tests.faults.network import FaultNetwork
from tests.faults.pg import connect

__all__ = ["Traffic", "drive"]

AUTH = {"Authorization": f"Bearer {DEV_API_TOKEN}"}


@dataclass
class Traffic:
    """What the clients got acknowledged."""

    escalations: dict[str, str] = field(default_factory=dict)  # regional issue id → region
    assessments: dict[str, list[str]] = field(default_factory=dict)  # id → addressed regions
    attempts_failed: int = 0

    @property
    def events(self) -> int:
        return len(self.escalations) + len(self.assessments)


def _escalation(n: int) -> dict[str, object]:
    return {
        "title": f"Fault run escalation {n}",
        "summary": "Lärosätena kan inte erbjuda VFU till alla antagna studenter.",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Dimensioneringen beslutas nationellt.",
        "requested_outcome": "En nationell bedömning.",
        "urgency": "normal",
    }


async def _post(
    client: httpx.AsyncClient, traffic: Traffic, url: str, body: object, key: str | None
) -> dict[str, object]:
    """POST until a 2xx; connection errors and 5xx (the service is down) are retried."""
    headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
    delay = 0.2
    while True:
        try:
            response = await client.post(url, json=body, headers=headers)
            if response.status_code < 300:
                return dict(response.json())
            if response.status_code < 500:
                raise AssertionError(f"{url} refused: {response.status_code} {response.text}")
        except httpx.HTTPError:
            pass
        traffic.attempts_failed += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def _escalate(net: FaultNetwork, client: httpx.AsyncClient, traffic: Traffic, n: int) -> None:
    region = net.regions[n % len(net.regions)]
    url = f"{net.url(f'regional-council.{region}')}/escalations"
    issue = await _post(client, traffic, url, _escalation(n), f"fault-{uuid.uuid4()}")
    traffic.escalations[str(issue["id"])] = region


async def _assess(
    net: FaultNetwork, client: httpx.AsyncClient, traffic: Traffic, batch: int
) -> None:
    """National answers a batch of received issues with one assessment to their regions."""
    conn = await connect(net.dsn("national-council"))
    try:
        rows = await conn.fetch(
            "SELECT id, region FROM issues WHERE state = 'received' ORDER BY received_at LIMIT $1",
            batch,
        )
    finally:
        await conn.close()
    if not rows:
        return
    regions = sorted({r["region"] for r in rows})
    body = {
        "title": "Nationell bedömning",
        "summary": "Bristen finns i flera regioner.",
        "recommendation": "En gemensam plan.",
        "areas": ["clinical-placement"],
        "regions": regions,
        "answers": [r["id"] for r in rows],
    }
    try:
        published = await _post(
            client, traffic, f"{net.url('national-council')}/assessments", body, None
        )
    except AssertionError:  # an issue moved on meanwhile (409): the next batch will do
        return
    traffic.assessments[str(published["id"])] = regions


async def drive(
    net: FaultNetwork,
    traffic: Traffic,
    count: int,
    *,
    concurrency: int = 12,
    assess_every: int = 50,
) -> None:
    """Send ``count`` escalations (and an assessment per ``assess_every``) as fast as acknowledged."""
    numbers = itertools.count()
    async with httpx.AsyncClient(timeout=15.0) as client:

        async def worker() -> None:
            while (n := next(numbers)) < count:
                await _escalate(net, client, traffic, n)
                if n and n % assess_every == 0:
                    await _assess(net, client, traffic, 10)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
