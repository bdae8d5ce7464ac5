"""Real infrastructure for the tests: broker, PostgreSQL, SMTP server, service processes.

Order of preference, as the architecture settles it: an external broker or database given by
environment variable; else the local one (Tansu from the pinned wheel, PostgreSQL on
127.0.0.1:5432); testcontainers only when a Docker engine actually answers.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.broker import Tansu, free_port, port_in_use
from samverkan_shared.contracts import IssueEscalated
from samverkan_shared.envelope import Envelope, to_kafka
from samverkan_shared.topics import dead_letter

__all__ = [
    "dead_letters",
    "docker_available",
    "end_offsets",
    "eventually",
    "fresh_databases",
    "kafka_bootstrap",
    "postgres_admin_dsn",
    "read_topic",
    "scratch_database",
    "send",
]

T = TypeVar("T")

KAFKA_ENV = "SAMVERKAN_TEST_KAFKA_BOOTSTRAP"
POSTGRES_ENV = "SAMVERKAN_TEST_POSTGRES_DSN"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def docker_available() -> bool:
    """True only when a Docker engine answers (the client alone is not enough)."""
    try:
        import docker

        return bool(docker.from_env(timeout=2).ping())
    except Exception:
        return False


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    """A Kafka-compatible broker for the whole test session."""
    if os.environ.get(KAFKA_ENV):
        yield os.environ[KAFKA_ENV]
        return
    broker = Tansu(port=free_port()).start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@contextmanager
def postgres_admin_dsn() -> Iterator[str]:
    """A PostgreSQL server where the tests may create databases."""
    if os.environ.get(POSTGRES_ENV):
        yield os.environ[POSTGRES_ENV]
        return
    if port_in_use(5432):
        yield LOCAL_POSTGRES
        return
    if not docker_available():
        raise RuntimeError(
            f"no PostgreSQL: nothing listens on 127.0.0.1:5432, no Docker engine answers, and "
            f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@host:5432/postgres)"
        )
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as pg:
        yield pg.get_connection_url()


@contextmanager
def fresh_databases(admin_dsn: str, names: list[str]) -> Iterator[dict[str, str]]:
    """One fresh database per name for this run; all dropped afterwards."""
    run = uuid.uuid4().hex[:8]
    dbs = {name: f"samverkan_t{run}_{name.replace('-', '_').replace('.', '_')}" for name in names}

    async def admin(statements: list[str]) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            for stmt in statements:
                await conn.execute(stmt)
        finally:
            await conn.close()

    asyncio.run(admin([f'CREATE DATABASE "{db}"' for db in dbs.values()]))
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield {name: f"{base}/{db}" for name, db in dbs.items()}
    finally:
        asyncio.run(admin([f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in dbs.values()]))


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """One fresh PostgreSQL database (its SQLAlchemy URL) for a test module; dropped after."""
    with postgres_admin_dsn() as admin, fresh_databases(admin, [name]) as urls:
        yield urls[name]


async def fresh_tables(engine: AsyncEngine, metadata: MetaData) -> None:
    """Drop and create ``metadata``'s tables: each test of a module starts from empty ones."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    until: Callable[[T], bool],
    *,
    timeout: float = 30.0,
    what: str = "condition",
) -> T:
    """Poll probe until its value satisfies until; fail with the last value seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        value = await probe()
        if until(value):
            return value
        last = value
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s; last value: {last!r}")


async def send(producer: AIOKafkaProducer, topic: str, env: Envelope) -> None:
    """Publish an envelope exactly as the services do (binary-mode CloudEvent)."""
    record = to_kafka(env)
    await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)


async def read_topic(
    bootstrap: str, topic: str, *, idle: float = 1.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on a topic, from the beginning, without a consumer group."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle * 1000))
            if not batch:
                return records
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> int:
    """The sum of a topic's end offsets: how many records were ever written to it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not parts:
            await consumer.topics()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def dead_letters(
    bootstrap: str, topic: str, consumer: str, event_id: str
) -> list[dict[str, str]]:
    """The headers of every record ``consumer`` parked from ``topic`` whose ce_id is event_id."""
    records = await read_topic(bootstrap, dead_letter(topic), idle=0.5)
    parked = [{k: v.decode() for k, v in r.headers} for r in records]
    return [h for h in parked if h.get("ce_id") == event_id and h.get("dlq-consumer") == consumer]


async def national_queue(client: Any, **filters: str) -> list[dict[str, Any]]:
    """Every national queue row matching ``filters``, through all pages (``X-Next-Cursor``).

    The session's queue holds every test's issues and is paged oldest first, so one page of
    it would miss the newest rows once the suite has made enough of them.
    """
    params: dict[str, str | int] = {"limit": 500, **filters}
    rows: list[dict[str, Any]] = []
    while True:
        page = await client.get("/issues", params=params)
        page.raise_for_status()
        rows.extend(page.json())
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            return rows
        params["cursor"] = cursor


def escalated(region: str, issue_id: uuid.UUID | None = None, **fields: Any) -> IssueEscalated:
    """A valid escalation event of ``region`` (a new issue id unless given); ``fields`` override."""
    values: dict[str, Any] = {
        "issue_id": issue_id or uuid.uuid4(),
        "region": region,
        "title": "Brist på VFU-platser",
        "summary": "Lärosätena kan inte erbjuda VFU till alla antagna studenter.",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Dimensioneringen beslutas nationellt.",
        "requested_outcome": "En nationell bedömning.",
        "escalated_at": datetime.now(UTC),
    }
    return IssueEscalated(**{**values, **fields})
