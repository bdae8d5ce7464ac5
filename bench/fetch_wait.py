"""How long a broker keeps a record from a consumer that is waiting for it, by fetch wait.

    .venv/bin/python -m bench.fetch_wait [--waits 25,100,300] [--partitions 1,2,6]
        [--samples 40] [--bootstrap host:port]

A consumer fetches with ``fetch_max_wait_ms`` and the broker may hold an empty fetch that
long. Apache Kafka answers a held fetch as soon as a record arrives; what Tansu (the local
and test broker) does decides how the services pace their fetches (``samverkan_shared.pace``).
For each number of partitions read by one consumer and each wait, this produces one record
at a random moment (between 0 and twice the wait after the last was read, to a random one of
the partitions) and times it from the producer's acknowledgement to the consumer having it:
p50, p90 and the most of ``--samples`` records. Without ``--bootstrap`` it starts a fresh
Tansu as the other benchmarks do.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.table import Table

from bench.latency import percentile
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.topics import Direction, TopicSpec
from tests.infra import kafka_bootstrap

__all__ = ["Held", "held", "main", "summary"]


@dataclass(frozen=True)
class Held:
    """Milliseconds from each record's acknowledgement to its consumer having it."""

    partitions: int
    wait_ms: int
    samples: tuple[float, ...]


def summary(run: Held) -> tuple[float, float, float]:
    """p50, p90 and the most, in milliseconds."""
    if not run.samples:
        raise ValueError("no record was timed")
    return statistics.median(run.samples), percentile(run.samples, 0.9), max(run.samples)


async def held(bootstrap: str, partitions: int, wait_ms: int, samples: int) -> Held:
    """Time ``samples`` records through one consumer of ``partitions`` one-partition topics."""
    run = uuid.uuid4().hex[:8]
    topics = [f"bench-fetch-wait-{run}-{i}" for i in range(partitions)]
    await ensure_topics(
        bootstrap, [TopicSpec(t, 1, 3_600_000, "bench", Direction.CONTROL) for t in topics]
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        fetch_max_wait_ms=wait_ms,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        for topic in topics:  # every partition read once: the consumer has its positions
            await producer.send_and_wait(topic, b"first")
        for _ in topics:
            await consumer.getone()
        times: list[float] = []
        for _ in range(samples):
            await asyncio.sleep(random.uniform(0, 2 * wait_ms / 1000))
            await producer.send_and_wait(random.choice(topics), b"timed")
            acknowledged = time.perf_counter()
            await consumer.getone()
            times.append((time.perf_counter() - acknowledged) * 1000)
    finally:
        await consumer.stop()
        await producer.stop()
        await _delete(bootstrap, topics)
    return Held(partitions, wait_ms, tuple(times))


async def _delete(bootstrap: str, topics: list[str]) -> None:
    """The run's topics go with it: on a broker given by --bootstrap, nothing is left behind."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()


@contextmanager
def _broker(bootstrap: str | None) -> Iterator[str]:
    if bootstrap is not None:
        yield bootstrap
        return
    with kafka_bootstrap() as started:
        yield started


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fetch_wait", description=__doc__)
    parser.add_argument(
        "--waits", type=_numbers, default=[25, 100, 300], help="ms, comma-separated"
    )
    parser.add_argument("--partitions", type=_numbers, default=[1, 2, 6], help="comma-separated")
    parser.add_argument("--samples", type=int, default=40, help="records timed per row")
    parser.add_argument("--bootstrap", help="a running broker (default: start a fresh Tansu)")
    args = parser.parse_args(argv)
    console = Console()
    table = Table(title="a record's wait in the broker: acknowledged → consumed (ms)")
    for column in ("partitions", "fetch wait", "p50", "p90", "most"):
        table.add_column(column, justify="right")
    with _broker(args.bootstrap) as bootstrap:
        for partitions in args.partitions:
            for wait in args.waits:
                with console.status(f"{partitions} partition(s), fetch wait {wait} ms"):
                    run = asyncio.run(held(bootstrap, partitions, wait, args.samples))
                p50, p90, most = summary(run)
                table.add_row(
                    str(partitions), f"{wait} ms", f"{p50:.1f}", f"{p90:.1f}", f"{most:.1f}"
                )
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
