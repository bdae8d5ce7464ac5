"""Latency, open loop, both directions of the dialogue on one running network.

- **escalation → national queue**: from the start of the regional HTTP request that escalates
  an issue (``POST /escalations``) to the national row's ``received_at``;
- **assessment → six regions**: from the start of the national ``POST /assessments`` (to
  every region) to the *last* of the six regional rows' ``received_at`` — a region that has
  not got it has not got it.

Requests are started on a fixed schedule whether or not earlier ones have answered — a closed
loop of one request at a time would hide queueing. At each offered escalation rate
(50, 200, 1,000 per second) assessments are published at ``ASSESSMENTS_PER_SECOND`` alongside,
so the downstream path is measured under that load. One machine, one clock. A growing
backlog shows as the late requests' latency climbing above the early ones'.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.infra import plain_dsn
from bench.loadclient import HttpError, LoadClient
from samverkan_shared.settings import DEV_API_TOKEN

__all__ = [
    "ASSESSMENT",
    "ASSESSMENTS_PER_SECOND",
    "ESCALATION",
    "LatencyResult",
    "Network",
    "measure",
    "percentile",
    "warm_up",
]

ESCALATION = "escalation → national queue"
ASSESSMENT = "assessment → all six regions"
ASSESSMENTS_PER_SECOND = 5
ARRIVAL_WAIT = 120.0  # seconds after the last request; what has not arrived by then is late

BODY = {
    "title": "Brist på VFU-platser",
    "summary": "Lärosätena kan inte erbjuda VFU till alla antagna sjuksköterskestudenter.",
    "areas": ["clinical-placement"],
    "reason_not_regional": "Dimensioneringen beslutas nationellt.",
    "requested_outcome": "En nationell bedömning av VFU-kapaciteten.",
    "urgency": "high",
}
ASSESSMENT_BODY = {
    "title": "Nationell bedömning av VFU-kapaciteten",
    "summary": "Bristen på VFU-platser finns i alla regioner.",
    "recommendation": "Lärosäten och regioner tar fram en gemensam plan.",
    "areas": ["clinical-placement"],
}


@dataclass(frozen=True)
class Network:
    """Where the running network answers and where its rows land."""

    national_url: str
    national_dsn: str
    regional_urls: list[str]
    regional_dsns: list[str]


@dataclass(frozen=True)
class LatencyResult:
    """Percentiles of one path at one offered escalation rate, in milliseconds."""

    rate: int
    sent: int
    failed: int
    p50: float
    p95: float
    p99: float
    first_tenth_p50: float
    last_tenth_p50: float
    samples: tuple[float, ...]
    path: str = ESCALATION
    achieved: float = 0.0  # requests per second the generator actually started
    late: int = 0  # accepted over HTTP but not arrived when the wait ended
    stages: tuple[tuple[str, float, float], ...] = ()
    """(stage, p50 ms, p99 ms) of the escalation path; empty for assessments."""

    @property
    def backlog_grows(self) -> bool:
        """The last requests waited clearly longer than the first: the network fell behind.

        Clearly: three times as long, or longer by a tenth of the run's length. The ratio
        alone missed a network that was behind from its first second (at 1,000/s one run's
        first tenth waited 4.5 s and its last 13.0 s: under three times, yet 8.5 s more
        after 10 s of load — serving well under the rate offered).
        """
        # Requests still on their way when the wait ended are the backlog at its worst.
        run_ms = 1000 * self.sent / max(self.achieved, 1.0)
        return (
            self.late > 0
            or self.last_tenth_p50 > 3 * max(self.first_tenth_p50, 5.0)
            or self.last_tenth_p50 - self.first_tenth_p50 > run_ms / 10
        )

    @property
    def name(self) -> str:
        return f"{self.path} at {self.rate}/s"

    def where(self) -> str:
        """The escalation path's stages, p50 and p99 each."""
        return (
            " · ".join(f"{name} p50 {p50:.0f} p99 {p99:.0f}" for name, p50, p99 in self.stages)
            + " ms"
        )


def percentile(values: Sequence[float], q: float) -> float:
    """The value below which the share ``q`` of ``values`` lies (nan for none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _open_loop(
    rate: float, seconds: float, one: Callable[[int], Coroutine[Any, Any, None]]
) -> float:
    """Start ``one(i)`` ``rate`` times a second for ``seconds``; the rate actually achieved."""
    total = max(1, int(rate * seconds))
    t0 = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(total):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    spent = time.perf_counter() - t0
    await asyncio.gather(*tasks)
    return total / max(spent, 1e-9) if total > 1 else float(rate)


async def _post_many(
    client: LoadClient,
    urls: list[str],
    path: str,
    body: dict[str, Any],
    rate: float,
    seconds: float,
) -> tuple[dict[str, datetime], int, float]:
    """POST ``body`` open-loop across ``urls``; created id → the moment its request started."""
    started: dict[str, datetime] = {}
    failed = 0

    async def one(i: int) -> None:
        nonlocal failed
        at = datetime.now(UTC)
        try:
            started[(await client.post_json(f"{urls[i % len(urls)]}{path}", body))["id"]] = at
        except HttpError:
            failed += 1

    achieved = await _open_loop(rate, seconds, one)
    return started, failed, achieved


async def _arrivals(
    dsns: list[str], sql: str, ids: set[str], timeout: float = ARRIVAL_WAIT
) -> dict[str, datetime]:
    """id → the latest arrival among ``dsns`` (an id counts once it is in every database)."""
    conns = [await asyncpg.connect(plain_dsn(d)) for d in dsns]
    try:
        deadline = time.monotonic() + timeout
        while True:
            seen: list[dict[str, datetime]] = []
            for conn in conns:
                rows = await conn.fetch(sql)
                seen.append({r[0]: r[1] for r in rows if r[0] in ids})
            everywhere = set(ids).intersection(*(s.keys() for s in seen))
            if len(everywhere) == len(ids) or time.monotonic() > deadline:
                return {i: max(s[i] for s in seen) for i in everywhere}
            await asyncio.sleep(0.5)
    finally:
        for conn in conns:
            await conn.close()


def _result(
    path: str,
    rate: int,
    started: dict[str, datetime],
    arrived: dict[str, datetime],
    failed: int,
    achieved: float,
) -> LatencyResult:
    order = sorted(started, key=started.__getitem__)
    lat = [
        (arrived[i].replace(tzinfo=UTC) - started[i]).total_seconds() * 1000
        for i in order
        if i in arrived
    ]
    tenth = max(1, len(lat) // 10)
    return LatencyResult(
        rate=rate,
        sent=len(started) + failed,
        failed=failed,
        late=len(started) - len(lat),
        p50=percentile(lat, 0.50),
        p95=percentile(lat, 0.95),
        p99=percentile(lat, 0.99),
        first_tenth_p50=statistics.median(lat[:tenth]) if lat else float("nan"),
        last_tenth_p50=statistics.median(lat[-tenth:]) if lat else float("nan"),
        samples=tuple(lat),
        path=path,
        achieved=achieved,
    )


async def _stages(
    regional_dsns: list[str], started: dict[str, datetime], arrived: dict[str, datetime]
) -> tuple[tuple[str, float, float], ...]:
    """Each escalation's time split at its regional outbox row: written (just before the
    commit), published (the broker acknowledged it), and in the national queue."""
    written: dict[str, tuple[datetime, datetime]] = {}
    for dsn in regional_dsns:
        conn = await asyncpg.connect(plain_dsn(dsn))
        try:
            rows = await conn.fetch(
                "SELECT convert_from(value, 'UTF8')::jsonb ->> 'issue_id', created_at, sent_at"
                " FROM outbox WHERE topic LIKE '%.upstream' AND sent_at IS NOT NULL"
            )
        finally:
            await conn.close()
        written.update({r[0]: (r[1], r[2]) for r in rows})
    spans: dict[str, list[float]] = {"request → committed": [], "→ published": [], "→ national": []}
    for issue, at in started.items():
        if issue not in written or issue not in arrived:
            continue
        created, sent = written[issue]
        national = arrived[issue].replace(tzinfo=UTC)
        for name, a, b in (
            ("request → committed", at, created),
            ("→ published", created, sent),
            ("→ national", sent, national),
        ):
            spans[name].append((b - a).total_seconds() * 1000)
    return tuple((name, percentile(v, 0.50), percentile(v, 0.99)) for name, v in spans.items() if v)


def _client() -> LoadClient:
    return LoadClient(DEV_API_TOKEN)


async def measure(
    net: Network, rate: int, seconds: float, assessments_per_second: float = ASSESSMENTS_PER_SECOND
) -> tuple[LatencyResult, LatencyResult]:
    """Escalations at ``rate``/s and assessments alongside; both paths' latencies."""
    client = _client()
    try:
        (esc, esc_failed, esc_rate), (ass, ass_failed, ass_rate) = await asyncio.gather(
            _post_many(client, net.regional_urls, "/escalations", BODY, rate, seconds),
            _post_many(
                client,
                [net.national_url],
                "/assessments",
                ASSESSMENT_BODY,
                assessments_per_second,
                seconds,
            ),
        )
    finally:
        await client.close()
    esc_arrived, ass_arrived = await asyncio.gather(
        _arrivals(
            [net.national_dsn], "SELECT regional_issue_id, received_at FROM issues", set(esc)
        ),
        _arrivals(
            net.regional_dsns, "SELECT assessment_id, received_at FROM assessments", set(ass)
        ),
    )
    escalations = _result(ESCALATION, rate, esc, esc_arrived, esc_failed, esc_rate)
    stages = await _stages(net.regional_dsns, esc, esc_arrived)
    return (
        replace(escalations, stages=stages),
        _result(ASSESSMENT, rate, ass, ass_arrived, ass_failed, ass_rate),
    )


async def warm_up(net: Network) -> None:
    """A short run first: imports, connection pools and consumer fetch loops are warm."""
    await measure(net, 20, 3.0, assessments_per_second=2)
