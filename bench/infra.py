"""What every scenario starts: a broker, fresh databases, signed events, service processes."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from devstack.keys import ensure_keys, key_id, key_path
from devstack.stack import BIN, ServiceSpec, Stack, free_base_port, network_specs
from samverkan_shared.contracts import IssueEscalated, Urgency
from samverkan_shared.envelope import Envelope, KafkaRecord, region_source, to_kafka
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.registry import load_regions
from samverkan_shared.signing import Signer
from samverkan_shared.topics import all_topics, upstream
from tests.infra import fresh_databases, kafka_bootstrap, postgres_admin_dsn

__all__ = [
    "RUN_DIR",
    "broker",
    "databases",
    "escalations",
    "national_behind",
    "plain_dsn",
    "produce",
    "services",
    "stack",
]

RUN_DIR = Path(".bench")
AREAS = [
    "clinical-placement",
    "continuing-education",
    "education-dimensioning",
    "new-competence-needs",
]


def plain_dsn(url: str) -> str:
    """A service's database URL (SQLAlchemy's, with its driver) as asyncpg itself takes it."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextmanager
def broker() -> Iterator[str]:
    """A fresh Tansu (or the broker the tests would use) with every registry topic."""
    with kafka_bootstrap() as bootstrap:
        asyncio.run(ensure_topics(bootstrap, all_topics()))
        yield bootstrap


@contextmanager
def databases(names: list[str]) -> Iterator[dict[str, str]]:
    """One fresh PostgreSQL database per name, dropped afterwards."""
    with postgres_admin_dsn() as admin, fresh_databases(admin, names) as urls:
        yield urls


def escalations(n: int, keys: Path) -> list[tuple[str, KafkaRecord]]:
    """``n`` signed escalations spread over every region, numbered per (source, topic)."""
    ensure_keys(keys)
    regions = [r.code for r in load_regions()]
    signers = {r: Signer.from_file(key_id(r), key_path(keys, r)) for r in regions}
    sequence = dict.fromkeys(regions, 0)
    out: list[tuple[str, KafkaRecord]] = []
    rng = random.Random(4711)
    for i in range(n):
        region = regions[i % len(regions)]
        sequence[region] += 1
        event = IssueEscalated(
            issue_id=uuid4(),
            region=region,
            title=f"Brist på VFU-platser, termin {i % 7 + 1}",
            summary="Lärosätena kan inte erbjuda VFU till alla antagna studenter.",
            areas=[rng.choice(AREAS)],
            reason_not_regional="Dimensioneringen beslutas nationellt.",
            requested_outcome="En nationell bedömning.",
            urgency=rng.choice(list(Urgency)),
            escalated_at=datetime.now(UTC),
        )
        env = Envelope.wrap(event, region_source(region)).with_sequence(sequence[region])
        out.append((upstream(region), to_kafka(signers[region].sign(env))))
    return out


async def produce(bootstrap: str, records: list[tuple[str, KafkaRecord]]) -> float:
    """Put the records on the broker as fast as it takes them; returns the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for topic, rec in records:
            pending.append(
                await producer.send(topic, rec.value, key=rec.key, headers=list(rec.headers))
            )
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


@contextmanager
def services(
    names: list[str],
    *,
    bootstrap: str,
    dbs: dict[str, str],
    keys: Path,
    logs: Path,
    smtp_port: int = 1,
    extra_env: dict[str, str] | None = None,
) -> Iterator[dict[str, ServiceSpec]]:
    """The named services of the network as real processes, ready; stopped afterwards."""
    with stack(
        names,
        bootstrap=bootstrap,
        dbs=dbs,
        keys=keys,
        logs=logs,
        smtp_port=smtp_port,
        extra_env=extra_env,
    ) as running:
        yield {name: spec for name, (spec, _proc) in running.processes.items()}


@contextmanager
def stack(
    names: list[str],
    *,
    bootstrap: str,
    dbs: dict[str, str],
    keys: Path,
    logs: Path,
    smtp_port: int = 1,
    extra_env: dict[str, str] | None = None,
    profile: dict[str, Path] | None = None,
) -> Iterator[Stack]:
    """Like :func:`services`, but the running :class:`Stack` (its process ids, for RSS).

    ``profile`` maps service names to files: those run under pyinstrument, which writes
    its profile (pstats) there when the service stops.
    """
    specs = network_specs(
        bootstrap=bootstrap,
        database_url=lambda name: dbs.get(name, "sqlite+aiosqlite:///:memory:"),
        smtp_port=smtp_port,
        keys=keys,
        base_port=free_base_port(len(load_regions())),
        extra_env={
            "SAMVERKAN_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "SAMVERKAN_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "SAMVERKAN_LOG_LEVEL": "warning",
            **(extra_env or {}),
        },
    )
    chosen = [_profiled(s, (profile or {}).get(s.name)) for s in specs if s.name in names]
    logs.mkdir(parents=True, exist_ok=True)
    running = Stack(logs)
    for spec in chosen:
        running.start(spec)
    try:
        running.wait_ready(timeout=120)
        yield running
    finally:
        running.stop_all()


def _profiled(spec: ServiceSpec, out: Path | None) -> ServiceSpec:
    if out is None:
        return spec
    wrapper = [str(BIN / "pyinstrument"), "-r", "pstats", "-o", str(out.resolve())]
    return replace(spec, command=[*wrapper, *spec.command])


@contextmanager
def national_behind(
    n: int, *, logs: Path, profile: Path | None = None
) -> Iterator[tuple[Stack, str]]:
    """The national council started behind ``n`` signed escalations queued on a fresh broker;
    yields the running stack and the service's database URL."""
    with tempfile.TemporaryDirectory() as tmp, broker() as bootstrap:
        keys = Path(tmp) / "keys"
        asyncio.run(produce(bootstrap, escalations(n, keys)))
        with (
            databases(["national-council"]) as dbs,
            stack(
                ["national-council"],
                bootstrap=bootstrap,
                dbs=dbs,
                keys=keys,
                logs=logs,
                profile=None if profile is None else {"national-council": profile},
            ) as running,
        ):
            yield running, dbs["national-council"]
