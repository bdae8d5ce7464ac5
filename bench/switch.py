"""What one thing does to ingest, measured by switching it on and off during one run.

    .venv/bin/python -m bench.switch --b-sql "ALTER TABLE … DISABLE TRIGGER ALL" \\
        --a-sql "ALTER TABLE … ENABLE TRIGGER ALL"
    .venv/bin/python -m bench.switch --poller   # B: a poller as the ingest bench had one

The machine under these benchmarks moves by a fifth between runs minutes apart, more than
most single changes do, so runs of before and after cannot be compared. Here the national
council works off one queued backlog (120,000 escalations by default) while the switch flips
every ``--phase`` seconds: before each phase the bench runs the A or B statement on the
service's database (or starts or stops the poller), waits ``SETTLE`` seconds for the batch
in flight, then counts the queue's rows over the phase. Neighbouring phases share the
machine's minute; the median of their B ÷ A ratios is what the switch did.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass

import asyncpg
from rich.console import Console
from rich.table import Table

from bench.infra import RUN_DIR, national_behind, plain_dsn

__all__ = ["Switched", "main", "ratios"]

SETTLE = 0.4
"""Seconds after a switch before its phase is counted: the batch in flight finishes."""

FIRST_ROW_WITHIN = 120.0
"""Seconds the national council may take to apply its first escalation."""

POLL_EVERY = 0.05
"""The poller's pace: a new connection and a count every 50 ms, as ``bench/ingest.py`` had."""


@dataclass(frozen=True)
class Switched:
    """Escalations a second in each phase, A and B in turns (A first)."""

    a: tuple[float, ...]
    b: tuple[float, ...]


def ratios(run: Switched) -> tuple[float, float]:
    """Median and mean of B ÷ A over neighbouring phases (each B with the A before it)."""
    pairs = [b / a for a, b in zip(run.a, run.b, strict=False) if a > 0]
    if not pairs:
        raise ValueError("no pair of phases: the backlog ran out first (more --events)")
    return statistics.median(pairs), statistics.mean(pairs)


async def _poll_until(dsn: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        conn = await asyncpg.connect(dsn)
        try:
            await conn.fetchval("SELECT count(*) FROM issues")
        finally:
            await conn.close()
        await asyncio.sleep(POLL_EVERY)


async def _phases(
    dsn: str, n: int, phase: float, a_sql: str | None, b_sql: str | None, poller: bool
) -> Switched:
    conn = await asyncpg.connect(dsn)
    rates: dict[bool, list[float]] = {False: [], True: []}
    try:
        count = await conn.prepare("SELECT count(*) FROM issues")
        deadline = time.monotonic() + FIRST_ROW_WITHIN
        while not await count.fetchval():  # the group joins, the first batch commits
            if time.monotonic() > deadline:
                raise TimeoutError(f"no escalation applied within {FIRST_ROW_WITHIN:.0f} s")
            await asyncio.sleep(0.05)
        b = False
        while True:
            sql = b_sql if b else a_sql
            if sql:
                await conn.execute(sql)
            stop = asyncio.Event()
            polling = asyncio.create_task(_poll_until(dsn, stop)) if poller and b else None
            await asyncio.sleep(SETTLE)
            c0, t0 = await count.fetchval(), time.perf_counter()
            await asyncio.sleep(phase)
            c1, t1 = await count.fetchval(), time.perf_counter()
            stop.set()
            if polling is not None:
                await polling
            if c1 >= n:  # the backlog ran out during the phase: it is not a whole one
                break
            rates[b].append((c1 - c0) / (t1 - t0))
            b = not b
        if a_sql:  # leave the database as the A side had it
            await conn.execute(a_sql)
    finally:
        await conn.close()
    return Switched(tuple(rates[False]), tuple(rates[True]))


def run(
    n: int, phase: float, a_sql: str | None, b_sql: str | None, *, poller: bool = False
) -> Switched:
    """Queue ``n`` escalations, start the national council, switch until they are applied."""
    RUN_DIR.mkdir(exist_ok=True)
    with national_behind(n, logs=RUN_DIR / "logs" / "switch") as (_running, dsn):
        return asyncio.run(_phases(plain_dsn(dsn), n, phase, a_sql, b_sql, poller))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.switch", description=__doc__)
    parser.add_argument("--events", type=int, default=120_000, help="escalations queued")
    parser.add_argument("--phase", type=float, default=3.0, help="seconds counted per phase")
    parser.add_argument("--a-sql", help="run on the service's database before each A phase")
    parser.add_argument("--b-sql", help="run on the service's database before each B phase")
    parser.add_argument(
        "--poller", action="store_true", help="B phases: a connection and a count every 50 ms"
    )
    args = parser.parse_args(argv)
    if not (args.b_sql or args.poller):
        parser.error("nothing to switch: give --b-sql (and --a-sql to switch back) or --poller")
    console = Console()
    with console.status(f"queueing {args.events:,} escalations, then switching"):
        switched = run(args.events, args.phase, args.a_sql, args.b_sql, poller=args.poller)
    table = Table(title="escalations applied a second, phase by phase")
    table.add_column("pair", justify="right")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("B ÷ A", justify="right")
    for i, (a, b) in enumerate(zip(switched.a, switched.b, strict=False), 1):
        table.add_row(str(i), f"{a:,.0f}", f"{b:,.0f}", f"{b / a:.3f}")
    console.print(table)
    try:
        median, mean = ratios(switched)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    pairs = min(len(switched.a), len(switched.b))
    console.print(
        f"B ÷ A: median {median:.3f}, mean {mean:.3f} ({pairs} pair{'' if pairs == 1 else 's'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
