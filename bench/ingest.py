"""Ingest: escalations per second the national council applies, against two yardsticks.

The same signed escalations, on the same broker, read three ways:

- **ceiling** — a raw aiokafka consumer that only decodes (envelope and contract), no database;
- **naive** — a plain FastStream handler, one message per transaction (inbox row + issue row),
  FastStream's default decoding and commit policy: what most services do;
- **national-council** — the real service process: verify the signature, check order, apply
  through the inbox on PostgreSQL, emit the receipt downstream, commit the offset after.

Rates are counted from the first applied row to the last by the rows' own arrival times
(``received_at``, set in the consuming transaction), so consumer-group joins and process start
do not count against anyone, and the bench waits for the last row on one connection, polled
every ``POLL_SECONDS``. While the national council applies, the CPU of the service, Tansu,
PostgreSQL and the machine is read too: it says which of them limits it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import create_async_engine

from bench.cpu import CpuMeter, CpuReading
from bench.infra import RUN_DIR, broker, databases, escalations, plain_dsn, produce, stack
from samverkan_shared.envelope import decode_event, from_kafka
from samverkan_shared.registry import load_regions
from samverkan_shared.topics import DIALOGUE_PARTITIONS, upstream

__all__ = ["IngestResult", "run"]


@dataclass(frozen=True)
class IngestResult:
    """Escalations per second, each way."""

    events: int
    ceiling: float
    naive: float
    service: float

    cpu: dict[str, float]
    """Percent of one core each part used while the national council applied the events."""


def _topics() -> list[str]:
    return [upstream(r.code) for r in load_regions()]


async def ceiling(bootstrap: str, n: int) -> float:
    """Read and decode every record with no group and no database."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in _topics() for p in range(DIALOGUE_PARTITIONS)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen, first = 0, 0.0
        while seen < n:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                for rec in records:
                    decode_event(from_kafka(rec.key, rec.value, rec.headers))
                    if not seen:
                        first = time.perf_counter()
                    seen += 1
        return (seen - 1) / (time.perf_counter() - first)
    finally:
        await consumer.stop()


NAIVE = sa.MetaData()
NAIVE_INBOX = sa.Table("inbox", NAIVE, sa.Column("id", sa.String(36), primary_key=True))
NAIVE_ISSUES = sa.Table(
    "issues",
    NAIVE,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("region", sa.String(40)),
    sa.Column("title", sa.String(200)),
    sa.Column("body", sa.JSON),
    # When the row was written, in the handler's transaction (as the queue's received_at).
    sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp()),
)


async def naive(bootstrap: str, dsn: str, n: int) -> float:
    """A FastStream subscriber that commits one transaction per message."""
    engine = create_async_engine(dsn, pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(NAIVE.create_all)
    kafka = KafkaBroker(bootstrap, logger=None)

    @kafka.subscriber(*_topics(), group_id="bench-naive", auto_offset_reset="earliest")
    async def handle(body: dict[str, Any], msg: KafkaMessage) -> None:
        event_id = msg.headers["ce_id"]
        async with engine.begin() as conn:
            new = await conn.execute(
                pg_insert(NAIVE_INBOX).values(id=event_id).on_conflict_do_nothing()
            )
            if new.rowcount:
                await conn.execute(
                    sa.insert(NAIVE_ISSUES).values(
                        id=body["issue_id"], region=body["region"], title=body["title"], body=body
                    )
                )

    async with kafka:
        await kafka.start()
        rate = await _rate_of(dsn, "issues", n)
    await engine.dispose()
    return rate


POLL_SECONDS = 0.2
"""How often the bench asks whether the last row is in. Asking costs the database: a new
connection and a count every 50 ms (what this did until the fourteenth round) took 4-14 % of
the national council's rate from it (``python -m bench.switch --poller``: such a poller
switched on and off in turns during one run; PostgreSQL shares the two cores with the
service)."""


async def _rate_of(
    dsn: str,
    table: str,
    n: int,
    timeout: float = 900.0,
    on_first: Callable[[], object] | None = None,
) -> float:
    """Wait until ``table`` holds ``n`` rows; rows per second from the first row's
    ``received_at`` to the last's.

    ``on_first`` is called when the first row is seen (to start a measurement there too).
    """
    conn = await asyncpg.connect(plain_dsn(dsn))
    try:
        count = await conn.prepare(f"SELECT count(*) FROM {table}")
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            seen = int(await count.fetchval())
            if seen and on_first is not None:
                on_first()
                on_first = None
            if seen >= n:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {seen} of {n} rows after {timeout:.0f} s")
            await asyncio.sleep(POLL_SECONDS)
        span = await conn.fetchval(
            f"SELECT extract(epoch FROM max(received_at) - min(received_at)) FROM {table}"
        )
        return (seen - 1) / float(span)
    finally:
        await conn.close()


def run(n: int = 10_000) -> IngestResult:
    """All three, on one broker with the same records."""
    RUN_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, broker() as bootstrap:
        keys = Path(tmp) / "keys"
        records = escalations(n, keys)
        asyncio.run(produce(bootstrap, records))
        top = asyncio.run(ceiling(bootstrap, n))
        with databases(["naive", "national-council"]) as dbs:
            plain = asyncio.run(naive(bootstrap, dbs["naive"], n))
            with stack(
                ["national-council"],
                bootstrap=bootstrap,
                dbs=dbs,
                keys=keys,
                logs=RUN_DIR / "logs" / "ingest",
            ) as running:
                # From the first applied row, as the rate: the group join is not the work.
                meter = CpuMeter(running)
                start: list[CpuReading] = []
                ours = asyncio.run(
                    _rate_of(
                        dbs["national-council"],
                        "issues",
                        n,
                        on_first=lambda: start.append(meter.read()),
                    )
                )
                cpu = start[0].shares(meter.read())
    return IngestResult(n, top, plain, ours, cpu)


if __name__ == "__main__":
    print(run())
