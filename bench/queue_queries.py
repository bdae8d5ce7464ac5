"""The national queue at 100,000 issues on PostgreSQL: p50/p99 of the page query and search.

Creates a fresh database (dropped at the end), migrates it, seeds the issues with COPY, then
times the queries the HTTP API and web pages run (service_layer.queue.queue_page):

    .venv/bin/python bench/queue_queries.py [--issues 100000] [--runs 200]
        [--admin-dsn postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from national_council.bootstrap import MIGRATIONS
from national_council.domain.model import NationalState, Priority
from national_council.service_layer.queue import QueueFilter, queue_page
from samverkan_shared.db import make_engine
from samverkan_shared.migrations import upgrade
from samverkan_shared.registry import load_areas, load_regions

WORDS = [
    "vfu",
    "platser",
    "sjuksköterskor",
    "läkare",
    "barnmorskor",
    "fortbildning",
    "forskning",
    "lärosäten",
]


def _issue(i: int, start: datetime) -> tuple[tuple[object, ...], list[tuple[str, str]]]:
    rng = random.Random(i)
    ref = str(uuid.UUID(int=rng.getrandbits(128)))
    at = start + timedelta(seconds=i * 30)
    areas = rng.sample([a.code for a in load_areas()], rng.randint(1, 2))
    title = f"Ärende {i}: brist på {rng.choice(WORDS)} och {rng.choice(WORDS)}"
    if i % 1000 == 0:
        title += " dimensioneringsfråga"  # a rare word: 0.1 % of issues
    state = rng.choice(list(NationalState)).value
    row = (
        ref,
        rng.choice(load_regions()).code,
        str(uuid.uuid4()),
        title,
        f"Sammanfattning {i} om {' '.join(rng.sample(WORDS, 4))}.",
        _json(areas),
        "Nationellt.",
        "",
        "normal",
        "[]",
        "Bedömning.",
        state,
        at,
        at + timedelta(hours=24),
        at + timedelta(days=30),
        at,
        None,
        ref,
        rng.randint(0, 3),
        rng.choice([None, "lena", "karin", "omar"]),
        None,
        None,
        None,
        None,
    )
    return row, [(ref, a) for a in areas]


def _json(values: list[str]) -> str:
    return "[" + ",".join(f'"{v}"' for v in values) + "]"


COLUMNS = [
    "id",
    "region",
    "regional_issue_id",
    "title",
    "summary",
    "areas",
    "reason_not_regional",
    "measures_tried",
    "urgency",
    "affected_actor_types",
    "requested_outcome",
    "state",
    "received_at",
    "acknowledge_by",
    "answer_by",
    "updated_at",
    "resolution",
    "correlation_id",
    "priority",
    "assignee",
    "acknowledged_at",
    "answered_at",
    "paused_at",
    "link_group",
]


async def seed(dsn: str, count: int, console: Console, first: int = 0) -> None:
    """COPY issues ``first`` … ``count - 1`` and their area rows, then ANALYZE.

    ``first`` lets a caller grow one database step by step (10,000 → 100,000 → …).
    """
    conn = await asyncpg.connect(dsn)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task(f"seeding issues to {count:,}", total=count - first)
            for lo in range(first, count, 10_000):
                rows, tags = [], []
                for i in range(lo, min(lo + 10_000, count)):
                    row, areas = _issue(i, start)
                    rows.append(row)
                    tags.extend(areas)
                await conn.copy_records_to_table("issues", records=rows, columns=COLUMNS)
                await conn.copy_records_to_table("issue_areas", records=tags)
                progress.advance(task, len(rows))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def timed(run: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    """(p50, p99) in milliseconds over ``runs`` calls, after a warm-up."""
    for _ in range(5):
        await run()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - t0) * 1000)
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[98]


async def measure(
    url: str,
    runs: int,
    console: Console,
    deep_pages: int = 1000,
    into: list[tuple[str, int, float, float]] | None = None,
) -> Table:
    """Time each query shape; a Rich table of the results (also appended to ``into``)."""
    engine = make_engine(url)
    table = Table(title=f"national queue queries, {runs} runs each")
    for column in ("query", "rows", "p50 (ms)", "p99 (ms)"):
        table.add_column(column, justify="left" if column == "query" else "right")
    try:
        async with engine.connect() as conn:
            deep = None
            page = await queue_page(conn, QueueFilter(), limit=50)
            for _ in range(deep_pages - 1):  # pages 2 … deep_pages: the cursor of the next
                page = await queue_page(conn, QueueFilter(), limit=50, cursor=page.next_cursor)
            deep = page.next_cursor
            shapes: list[tuple[str, QueueFilter, str, str | None]] = [
                ("first page, oldest first", QueueFilter(), "received_at", None),
                (
                    f"page {deep_pages + 1:,} (after {deep_pages * 50:,} rows)",
                    QueueFilter(),
                    "received_at",
                    deep,
                ),
                (
                    "state + region, by answer_by",
                    QueueFilter(states=[NationalState.IN_ASSESSMENT], regions=["norra"]),
                    "answer_by",
                    None,
                ),
                (
                    "area + priority, by -priority",
                    QueueFilter(areas=["clinical-placement"], priorities=[Priority.CRITICAL]),
                    "-priority",
                    None,
                ),
                ("overdue, by answer_by", QueueFilter(overdue=True), "answer_by", None),
                ("search: common words", QueueFilter(text="vfu platser"), "received_at", None),
                (
                    "search: rare word",
                    QueueFilter(text="dimensioneringsfråga"),
                    "received_at",
                    None,
                ),
            ]
            for label, f, sort, cursor in shapes:
                rows = len((await queue_page(conn, f, sort, 50, cursor)).items)

                async def run(f: QueueFilter = f, sort: str = sort, c: str | None = cursor) -> None:
                    await queue_page(conn, f, sort, 50, c)

                p50, p99 = await timed(run, runs)
                table.add_row(label, str(rows), f"{p50:.2f}", f"{p99:.2f}")
                if into is not None:
                    into.append((label, rows, p50, p99))
                console.log(f"measured: {label}")
    finally:
        await engine.dispose()
    return table


async def main(issues: int, runs: int, admin_dsn: str) -> None:
    console = Console()
    name = f"samverkan_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_dsn.rsplit("/", 1)[0]
    try:
        url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
        engine = make_engine(url)
        await upgrade(engine, MIGRATIONS)
        await engine.dispose()
        await seed(f"{base}/{name}", issues, console)
        console.print(await measure(url, runs, console))
        console.print(f"{issues:,} issues; PostgreSQL {admin.get_server_version().major}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    asyncio.run(main(args.issues, args.runs, args.admin_dsn))
