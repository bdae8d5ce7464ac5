"""The fault scenarios: traffic through the running network, one kind of fault, the invariants."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer

from devstack.keys import key_id, key_path
from samverkan_shared.contracts import EscalationAmended, EscalationWithdrawn, IssueEscalated
from samverkan_shared.envelope import Envelope, KafkaRecord, region_source, to_kafka
from samverkan_shared.signing import Signer
from samverkan_shared.topics import upstream
from tests.faults.invariants import Findings, converge
from tests.faults.load import Traffic, drive
from tests.faults.network import PROXIED, FaultNetwork
from tests.faults.pg import connect

__all__ = ["SCENARIOS", "Result", "run_scenario"]

KILLABLE = ["national-council", "regional-council.norra", "notifications"]


@dataclass
class Result:
    """One row of the report."""

    scenario: str
    events_sent: int
    faults_injected: int
    lost: int
    duplicated: int
    out_of_order: int
    recovery_seconds: float
    ok: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    """What a scenario did besides the traffic."""

    net: FaultNetwork
    traffic: Traffic
    count: int
    faults: int = 0
    injected: int = 0
    allowed_dead: set[str] = field(default_factory=set)
    last_fault_end: float = 0.0
    checks: list[Callable[[], Awaitable[list[str]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def _restart(net: FaultNetwork, name: str, timeout: float = 120.0) -> None:
    """Start a killed service again and wait until it answers 200 on ``/readyz``.

    Only this service is awaited: another victim may be down at the same moment.
    """
    net.start(name)
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{net.url(name)}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{name} not ready {timeout:.0f} s after its restart")


async def kill9(run: Run, kills_each: int) -> None:
    """kill -9 of national, a regional and notifications at random moments, each restarted.

    Each victim has its own schedule, so failures overlap at times (two services down at
    once), as they do in production; the kills still add up to ``kills_each`` per victim.
    """

    async def victim(name: str) -> None:
        for _ in range(kills_each):
            await asyncio.sleep(random.uniform(1.0, 6.0))
            run.net.kill9(name)
            run.faults += 1
            await asyncio.sleep(random.uniform(0.0, 2.0))
            await _restart(run.net, name)
            run.last_fault_end = max(run.last_fault_end, time.monotonic())

    await asyncio.gather(*(victim(name) for name in KILLABLE))


async def broker_restart(run: Run, times: int) -> None:
    """Kill Tansu (every record and offset lost) and start an empty one on the same port."""
    for _ in range(times):
        await _wait_sent(run, 0.4 / times)
        await asyncio.to_thread(run.net.restart_broker)
        run.faults += 1
        run.last_fault_end = time.monotonic()
        await asyncio.sleep(3.0)


async def _wait_sent(run: Run, share: float) -> None:
    """Until ``share`` of the run's escalations more were acknowledged, or all of them were."""
    start = len(run.traffic.escalations)
    while (  # noqa: ASYNC110 - polled
        len(run.traffic.escalations) - start < run.count * share
        and len(run.traffic.escalations) < run.count
    ):
        await asyncio.sleep(0.2)


async def db_outage(run: Run, seconds: float) -> None:
    """PostgreSQL unreachable under the national council for ``seconds``."""
    await _wait_sent(run, 0.3)
    run.net.proxy.block()
    run.faults += 1
    statuses: list[int] = []
    async with httpx.AsyncClient(timeout=5.0) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                statuses.append((await client.get(f"{run.net.url(PROXIED)}/readyz")).status_code)
            except httpx.HTTPError:
                statuses.append(0)
            await asyncio.sleep(1.0)
    run.net.proxy.unblock()
    run.last_fault_end = time.monotonic()
    not_ready = sum(1 for s in statuses if s == 503)
    run.notes.append(f"/readyz answered 503 in {not_ready} of {len(statuses)} probes")

    async def readiness_dropped() -> list[str]:
        return [] if not_ready else ["/readyz never reported not-ready during the outage"]

    run.checks.append(readiness_dropped)


def _signer(net: FaultNetwork, region: str) -> Signer:
    return Signer.from_file(key_id(region), key_path(net.logs.parent / "keys", region))


def _escalated(region: str, issue_id: object = None) -> IssueEscalated:
    return IssueEscalated(
        issue_id=issue_id or uuid4(),
        region=region,
        title="Poison or not",
        summary="s",
        areas=["clinical-placement"],
        reason_not_regional="r",
        requested_outcome="o",
        escalated_at=datetime.now(UTC),
    )


async def poison(run: Run, per_kind: int) -> None:
    """Malformed JSON, wrong schema, unknown type and bad signatures mixed into the stream."""
    net = run.net
    expected: dict[str, str] = {}
    producer = AIOKafkaProducer(bootstrap_servers=net.bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(per_kind):
            await _wait_sent(run, 0.8 / per_kind)
            region = net.regions[i % len(net.regions)]
            other = net.regions[(i + 1) % len(net.regions)]
            topic = upstream(region)
            good = _signer(net, region).sign(
                Envelope.wrap(_escalated(region), region_source(region))
            )
            rec = to_kafka(good)

            def variant(
                kind: str, rec: KafkaRecord = rec, **attrs: bytes
            ) -> list[tuple[str, bytes]]:
                event_id = f"poison-{kind}-{uuid4()}"
                expected[event_id] = kind
                attrs["ce_id"] = event_id.encode()
                return [(k, attrs.get(k, v)) for k, v in rec.headers]

            await producer.send_and_wait(
                topic, b"{not json", key=rec.key, headers=variant("contract-violation")
            )
            broken = json.loads(rec.value)
            del broken["summary"]
            await producer.send_and_wait(
                topic,
                json.dumps(broken).encode(),
                key=rec.key,
                headers=variant("contract-violation"),
            )
            await producer.send_and_wait(
                topic,
                rec.value,
                key=rec.key,
                headers=variant("unknown-type", ce_type=b"se.samverkan.nonsense.v1"),
            )
            forged = _signer(net, other).sign(
                Envelope.wrap(_escalated(region), region_source(region))
            )
            forged_rec = to_kafka(forged)
            event_id = forged.id
            expected[event_id] = "bad-signature"
            await producer.send_and_wait(
                topic, forged_rec.value, key=forged_rec.key, headers=forged_rec.headers
            )
            run.injected += 4
            run.faults += 4
    finally:
        await producer.stop()
    run.allowed_dead.update(expected)

    async def all_parked() -> list[str]:
        """Each injected poison parked by national with its own reason."""
        from tests.faults.invariants import dead_letters

        letters = [h for h in await dead_letters(net.bootstrap) if h.get("ce_id") in expected]
        return [
            f"{event_id} not dead-lettered by national-council as {reason}"
            for event_id, reason in expected.items()
            if not any(
                h.get("ce_id") == event_id
                and h.get("dlq-consumer") == "national-council"
                and h.get("dlq-reason") == reason
                for h in letters
            )
        ]

    run.checks.append(all_parked)


async def duplicates_and_reordering(run: Run, duplicates: int) -> None:
    """A test producer re-publishes real outbox rows, and sends one issue's events reversed."""
    await _wait_sent(run, 1.0)
    net = run.net
    producer = AIOKafkaProducer(bootstrap_servers=net.bootstrap, acks="all")
    await producer.start()
    try:
        region = net.regions[0]
        rows = await _outbox_rows(net, f"regional-council.{net.regions[1]}", duplicates)
        for topic, key, value, headers in rows:
            await producer.send_and_wait(
                topic, value, key=key, headers=[(k, v.encode()) for k, v in headers]
            )
        run.injected += len(rows)
        run.faults += len(rows)
        issue_id = uuid4()
        envs = await _reserved_stream(net, region, issue_id)
        order = [2, 1, 2, 0, 1, 0]  # withdrawn, amended, withdrawn again, escalated, …
        for i in order:
            rec = to_kafka(envs[i])
            await producer.send_and_wait(
                upstream(region), rec.value, key=rec.key, headers=rec.headers
            )
        run.injected += len(order)
        run.faults += len(order)
    finally:
        await producer.stop()
    run.last_fault_end = time.monotonic()
    # National answers the made-up issue downstream; norra never had it and refuses that.
    # Dead letters are matched by event id or CloudEvents subject, which is "issues/<id>".
    run.allowed_dead.add(f"issues/{issue_id}")

    async def applied_in_order() -> list[str]:
        conn = await connect(net.dsn("national-council"))
        try:
            issue = await conn.fetchrow(
                "SELECT id, state FROM issues WHERE regional_issue_id = $1", str(issue_id)
            )
            if issue is None:
                return ["the reordered issue never reached the national queue"]
            amended = await conn.fetchval(
                "SELECT count(*) FROM amendments WHERE issue_id = $1", issue["id"]
            )
        finally:
            await conn.close()
        problems = []
        if issue["state"] != "withdrawn":
            problems.append(f"reordered issue ended {issue['state']!r}, not 'withdrawn'")
        if amended != 1:
            problems.append(f"reordered issue has {amended} amendments, not 1")
        return problems

    run.checks.append(applied_in_order)


async def _outbox_rows(
    net: FaultNetwork, service: str, n: int
) -> list[tuple[str, bytes, bytes, list[list[str]]]]:
    conn = await connect(net.dsn(service))
    try:
        rows = await conn.fetch(
            "SELECT topic, key, value, headers FROM outbox WHERE sent_at IS NOT NULL"
            " ORDER BY random() LIMIT $1",
            n,
        )
    finally:
        await conn.close()
    return [(r["topic"], r["key"], r["value"], json.loads(r["headers"])) for r in rows]


async def _reserved_stream(net: FaultNetwork, region: str, issue_id: object) -> list[Envelope]:
    """Three events of one issue, numbered in a range taken from the region's own counter."""
    conn = await connect(net.dsn(f"regional-council.{region}"))
    try:
        last = await conn.fetchval(
            "UPDATE outbox_sequence SET last = last + 3 WHERE stream = $1 RETURNING last",
            upstream(region),
        )
    finally:
        await conn.close()
    now = datetime.now(UTC)
    events = [
        _escalated(region, issue_id),
        EscalationAmended(
            issue_id=issue_id, region=region, amendment="Mer underlag.", amended_at=now
        ),
        EscalationWithdrawn(
            issue_id=issue_id, region=region, reason="Löst regionalt.", withdrawn_at=now
        ),
    ]
    signer = _signer(net, region)
    return [
        signer.sign(Envelope.wrap(e, region_source(region)).with_sequence(last - 2 + i))
        for i, e in enumerate(events)
    ]


FaultFn = Callable[[Run], Awaitable[None]]


def SCENARIOS(full: bool) -> dict[str, FaultFn]:  # noqa: N802 - a table, read like a constant
    """Scenario name → its fault, sized for the full or the short form."""
    return {
        "kill -9 (national, regional, notifications)": lambda r: kill9(r, 2 if full else 1),
        "broker restart (all records and offsets lost)": lambda r: broker_restart(
            r, 2 if full else 1
        ),
        "PostgreSQL away 10 s under national": lambda r: db_outage(r, 10.0),
        "poison messages": lambda r: poison(r, 5 if full else 2),
        "duplicates and reordering": lambda r: duplicates_and_reordering(r, 200 if full else 40),
    }


async def run_scenario(
    net: FaultNetwork, name: str, fault: FaultFn, count: int, settle_timeout: float = 240.0
) -> Result:
    """Traffic and fault together, then the invariants once the network settled."""
    traffic = Traffic()
    run = Run(net, traffic, count)
    started = time.monotonic()
    await asyncio.gather(drive(net, traffic, count), fault(run))
    run.last_fault_end = run.last_fault_end or time.monotonic()
    findings, _ = await converge(net, traffic, run.allowed_dead | _ALLOWED, settle_timeout)
    recovery = time.monotonic() - run.last_fault_end
    problems = [p for check in run.checks for p in await check()]
    _ALLOWED.update(run.allowed_dead)
    notes = run.notes + problems + findings.detail + findings.stray_dead_letters[:5]
    if findings.unsent or findings.held:
        notes.append(f"{findings.unsent} outbox rows unsent, {findings.held} events held")
    print(f"{name}: {len(traffic.escalations)} escalations in {time.monotonic() - started:.0f} s")
    return Result(
        scenario=name,
        events_sent=traffic.events + run.injected,
        faults_injected=run.faults,
        lost=findings.lost,
        duplicated=findings.duplicated,
        out_of_order=findings.out_of_order,
        recovery_seconds=round(recovery, 1),
        ok=findings.ok and not problems,
        notes=notes,
    )


_ALLOWED: set[str] = set()  # dead letters injected by earlier scenarios of this network


def as_dict(result: Result) -> dict[str, object]:
    return asdict(result)


_ = Findings  # re-exported for the report's type hints
