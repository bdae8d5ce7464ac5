"""Queue queries at several sizes: one database grown step by step (10k → 100k → 1M).

Each step COPYs only the issues it adds (``queue_queries.seed`` with ``first``), ANALYZEs,
and times every query shape of ``queue_queries.measure`` — the page query (filters, sorts,
keyset pages) and full-text search, what the API, the web pages and the CLI run.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg
from rich.console import Console

from bench.queue_queries import measure, seed
from national_council.bootstrap import MIGRATIONS
from samverkan_shared.db import make_engine
from samverkan_shared.migrations import upgrade
from tests.infra import postgres_admin_dsn

__all__ = ["QueryTiming", "run"]


@dataclass(frozen=True)
class QueryTiming:
    """One query shape at one size, in milliseconds."""

    issues: int
    query: str
    rows: int
    p50: float
    p99: float

    def row(self) -> tuple[str, str, str]:
        return (
            "queue queries",
            f"{self.query} @ {self.issues:,} issues",
            f"p50 {self.p50:.2f} · p99 {self.p99:.2f} ms ({self.rows} rows)",
        )


async def _run(
    admin_dsn: str, sizes: tuple[int, ...], runs: int, console: Console
) -> list[QueryTiming]:
    name = f"samverkan_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_dsn.rsplit("/", 1)[0]
    out: list[QueryTiming] = []
    try:
        url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
        engine = make_engine(url)
        await upgrade(engine, MIGRATIONS)
        await engine.dispose()
        have = 0
        for size in sorted(sizes):
            await seed(f"{base}/{name}", size, console, first=have)
            have = size
            found: list[tuple[str, int, float, float]] = []
            # Half-way in at 10,000; 50,000 rows in from 100,000 on.
            deep = min(1000, size // 100)
            await measure(url, runs, console, deep_pages=deep, into=found)
            out += [QueryTiming(size, q, rows, p50, p99) for q, rows, p50, p99 in found]
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return out


def run(
    sizes: tuple[int, ...], runs: int = 200, console: Console | None = None
) -> list[QueryTiming]:
    """Every query shape at every size, on a fresh PostgreSQL database dropped afterwards."""
    with postgres_admin_dsn() as admin:
        return asyncio.run(_run(admin, sizes, runs, console or Console()))
