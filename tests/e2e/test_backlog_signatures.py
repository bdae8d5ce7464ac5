"""A national council far behind checks its backlog's signatures in the helper process, and
applies exactly the authentic events (real service, Tansu, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from functools import partial

import pytest
from aiokafka import AIOKafkaProducer

from samverkan_shared.envelope import Envelope, region_source, to_kafka
from samverkan_shared.sigcheck import BEHIND_FROM
from samverkan_shared.topics import upstream
from tests.conftest import Network
from tests.infra import dead_letters, escalated, eventually, national_queue

pytestmark = pytest.mark.e2e

REGION = "vastra"
BACKLOG = BEHIND_FROM + 500
FORGED = {7, BEHIND_FROM // 2, BACKLOG - 3}  # early, in the middle, among the last


def _helper_starts(network: Network) -> int:
    log = network.stack.log_dir / "national-council.log"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return sum(1 for line in lines if "signature helper started" in line)


async def test_a_backlog_is_checked_in_the_helper_and_only_the_authentic_applied(
    network: Network,
) -> None:
    signer = network.signer(REGION)
    title = f"Eftersläpning {uuid.uuid4().hex[:8]}"
    envelopes: list[Envelope] = []
    for n in range(BACKLOG):
        event = escalated(REGION, title=f"{title} {n}")
        env = signer.sign(Envelope.wrap(event, region_source(REGION)))
        if n in FORGED:  # changed after signing: the signature no longer covers the data
            env = replace(env, data=env.data.replace(title.encode(), b"Forged"))
        envelopes.append(env)
    started_before = _helper_starts(network)

    # The national council is away while the whole backlog is published.
    await asyncio.to_thread(network.stack.stop, "national-council")
    producer = AIOKafkaProducer(bootstrap_servers=network.bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [
            await producer.send(upstream(REGION), r.value, key=r.key, headers=r.headers)
            for r in map(to_kafka, envelopes)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    network.stack.start(network.specs["national-council"])
    await asyncio.to_thread(network.stack.wait_ready, 90)

    async with network.client("national-council") as national:

        async def ours() -> list[str]:
            rows = await national_queue(national, region=REGION)
            return [r["title"] for r in rows if r["title"].startswith(title)]

        titles = await eventually(
            ours, lambda t: len(t) >= BACKLOG - len(FORGED), timeout=90, what="the backlog queued"
        )
    expected = {f"{title} {n}" for n in range(BACKLOG) if n not in FORGED}
    assert sorted(titles) == sorted(expected)  # every authentic one, once; no forged one

    for n in sorted(FORGED):
        parked = await eventually(
            partial(
                dead_letters,
                network.bootstrap,
                upstream(REGION),
                "national-council",
                envelopes[n].id,
            ),
            bool,
            timeout=30,
            what=f"forged event {n} dead-lettered",
        )
        assert parked[0]["dlq-reason"] == "bad-signature"
        assert parked[0]["dlq-error"] == "ce_signature: does not match the content"

    # The backlog went through the helper (the service logs each start), not the event loop.
    assert _helper_starts(network) > started_before
    log = (network.stack.log_dir / "national-council.log").read_text(errors="replace")
    assert "signature helper failed" not in log
