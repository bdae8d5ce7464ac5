"""A rolling restart of the national service under load loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from samverkan_shared.registry import load_regions
from tests.conftest import Network
from tests.infra import eventually, national_queue

pytestmark = pytest.mark.e2e

RESTARTS = 2


def _escalation(region: str, n: int) -> dict[str, object]:
    return {
        "title": f"Rullande omstart {region} {n}",
        "summary": "Skickad medan den nationella tjänsten startas om.",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Beslutas nationellt.",
        "requested_outcome": "En nationell bedömning.",
    }


async def test_national_restarted_twice_under_load_queues_every_escalation_once(
    network: Network,
) -> None:
    regions = [r.code for r in load_regions()][:3]
    sent: dict[str, str] = {}  # regional issue id → region
    stop = asyncio.Event()

    async def stream(region: str) -> None:
        async with network.client(f"regional-council.{region}") as client:
            n = 0
            while not stop.is_set():
                created = await client.post("/escalations", json=_escalation(region, n))
                assert created.status_code == 201, created.text
                sent[created.json()["id"]] = region
                n += 1
                await asyncio.sleep(0.25)

    load = [asyncio.create_task(stream(region)) for region in regions]
    spec = network.specs["national-council"]
    for _ in range(RESTARTS):
        await asyncio.sleep(2)
        # SIGTERM: the service finishes the event in hand and leaves its consumer group.
        await asyncio.to_thread(network.stack.stop, "national-council")
        await asyncio.sleep(1)  # escalations keep coming while it is away
        network.stack.start(spec)
        await asyncio.to_thread(network.stack.wait_ready, 90)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*load)
    assert len(sent) >= 30, "too little load to mean anything"

    async with network.client("national-council") as national:

        async def queued() -> Counter[str]:
            counts: Counter[str] = Counter()
            for region in regions:
                rows = await national_queue(national, region=region)
                counts.update(
                    r["regional_issue_id"] for r in rows if r["regional_issue_id"] in sent
                )
            return counts

        counts = await eventually(
            queued, lambda c: set(c) == set(sent), timeout=60, what="every escalation queued"
        )
    assert [i for i, n in counts.items() if n != 1] == []  # exactly once, none twice
