"""The invariants, checked against every service's database and the dead-letter topics."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer

from samverkan_shared.topics import all_topics
from tests.faults.load import Traffic
from tests.faults.network import FaultNetwork
from tests.faults.pg import connect

__all__ = ["Findings", "check", "converge", "dead_letters"]


@dataclass
class Findings:
    """What a check found; all zero (and no stray dead letters) means the guarantees held."""

    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unsent: int = 0
    held: int = 0
    stray_dead_letters: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not (self.lost or self.duplicated or self.unsent or self.held)

    @property
    def ok(self) -> bool:
        return self.settled and not self.out_of_order and not self.stray_dead_letters


async def _fetch(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def _inversions(rows: list[asyncpg.Record]) -> int:
    """Events applied after one with a higher sequence of the same (source, topic) stream."""
    highest: dict[tuple[str, str], int] = {}
    count = 0
    for r in rows:
        stream = (r["source"], r["topic"])
        if r["sequence"] < highest.get(stream, 0):
            count += 1
        highest[stream] = max(highest.get(stream, 0), r["sequence"])
    return count


async def check(net: FaultNetwork, traffic: Traffic) -> Findings:
    """One pass over every database."""
    f = Findings()
    ids = list(traffic.escalations)
    national = await _fetch(
        net.dsn("national-council"),
        "SELECT regional_issue_id, count(*) AS n FROM issues WHERE regional_issue_id = ANY($1)"
        " GROUP BY 1",
        ids,
    )
    found = {r["regional_issue_id"]: r["n"] for r in national}
    missing = [i for i in ids if i not in found]
    f.lost += len(missing)
    f.duplicated += sum(n - 1 for n in found.values())
    if missing:
        f.detail.append(f"{len(missing)} escalations not in the national queue")
    for region in net.regions:
        dsn = net.dsn(f"regional-council.{region}")
        mine = [i for i, r in traffic.escalations.items() if r == region]
        unreceived = await _fetch(
            dsn,
            "SELECT count(*) AS n FROM issues WHERE id = ANY($1) AND national_reference IS NULL",
            mine,
        )
        f.lost += unreceived[0]["n"]
        addressed = [a for a, regions in traffic.assessments.items() if region in regions]
        got = await _fetch(
            dsn,
            "SELECT assessment_id, count(*) AS n FROM assessments WHERE assessment_id = ANY($1)"
            " GROUP BY 1",
            addressed,
        )
        have = {r["assessment_id"]: r["n"] for r in got}
        f.lost += sum(1 for a in addressed if a not in have)
        f.duplicated += sum(n - 1 for n in have.values())
    for name in net.specs:
        dsn = net.dsn(name)
        f.unsent += (await _fetch(dsn, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL"))[
            0
        ]["n"]
        f.held += (await _fetch(dsn, "SELECT count(*) AS n FROM held_events"))[0]["n"]
        rows = await _fetch(
            dsn,
            "SELECT source, topic, sequence FROM inbox WHERE sequence IS NOT NULL"
            # A batch is one transaction with one processed_at; inside it, sequence order.
            " ORDER BY processed_at, sequence",
        )
        f.out_of_order += _inversions(rows)
    return f


async def dead_letters(bootstrap: str) -> list[dict[str, str]]:
    """The headers of every record in every dead-letter topic."""
    topics = [t.name for t in all_topics() if t.dead_letter]
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    out: list[dict[str, str]] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1500):
            for records in batch.values():
                out.extend({k: v.decode(errors="replace") for k, v in r.headers} for r in records)
    finally:
        await consumer.stop()
    return out


async def converge(
    net: FaultNetwork, traffic: Traffic, allowed_dead: set[str], timeout: float
) -> tuple[Findings, float]:
    """Check until settled (or timeout); returns the findings and the seconds it took."""
    started = time.monotonic()
    while True:
        findings = await check(net, traffic)
        if findings.settled or time.monotonic() - started > timeout:
            break
        await asyncio.sleep(1.0)
    elapsed = time.monotonic() - started
    for letter in await dead_letters(net.bootstrap):
        # Allowed: an injected event (by id), or what the network did about an injected issue.
        if not {letter.get("ce_id", "?"), letter.get("ce_subject", "?")} & allowed_dead:
            findings.stray_dead_letters.append(
                f"{letter.get('dlq-topic')}: {letter.get('ce_type')} {letter.get('dlq-reason')}"
                f" {letter.get('dlq-error', '')[:200]}"
            )
    return findings, elapsed
