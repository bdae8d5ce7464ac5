"""A service-level breach is found by a check that lives in the database: it survives a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.conftest import Network
from tests.infra import eventually
from tests.integration.national_helpers import downstream_events, escalate

REGION = "vastra"
BREACHED = "se.samverkan.sla.breached.v1"


async def _set_acknowledge_by(network: Network, ref: str, when: datetime) -> None:
    conn = await asyncpg.connect(network.databases["national-council"].replace("+asyncpg", ""))
    try:
        await conn.execute("UPDATE issues SET acknowledge_by = $1 WHERE id = $2", when, ref)
    finally:
        await conn.close()


async def test_a_target_passed_while_the_service_was_down_is_announced_once_after_restart(
    network: Network,
) -> None:
    _, ref = await escalate(network, REGION)
    name = "national-council"
    network.stack.stop(name)
    try:
        # The target passes while nothing runs: no timer anywhere could have fired.
        await _set_acknowledge_by(network, ref, datetime.now(UTC) - timedelta(minutes=5))
    finally:
        network.stack.start(network.specs[name])
        await asyncio.to_thread(network.stack.wait_ready, 120)
    [event] = await eventually(
        lambda: downstream_events(network, REGION, BREACHED, national_reference=ref),
        lambda found: len(found) >= 1,
        what="sla.breached after the restart",
    )
    assert event["target"] == "acknowledge"
    await asyncio.sleep(3)  # three more checks (one a second in the tests): still one event
    assert len(await downstream_events(network, REGION, BREACHED, national_reference=ref)) == 1
    async with network.client(name) as national:
        issue = (await national.get(f"/issues/{ref}")).json()
        late = [i["id"] for i in (await national.get("/issues", params={"overdue": "true"})).json()]
        metrics = (await national.get("/metrics")).text
    assert issue["sla"]["acknowledge"]["overdue"] is True
    assert issue["sla"]["acknowledge"]["seconds_left"] < -250
    assert [b["target"] for b in issue["sla_breaches"]] == ["acknowledge"]
    assert issue["transitions"][-1]["action"] == "sla_breached"
    assert ref in late
    assert 'samverkan_national_queue_issues{state="received"}' in metrics
    overdue = next(
        line
        for line in metrics.splitlines()
        if line.startswith("samverkan_national_overdue_issues ")
    )
    assert float(overdue.split()[1]) >= 1
