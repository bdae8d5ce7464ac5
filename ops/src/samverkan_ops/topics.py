"""``samverkan topics apply|status``: the broker's topics brought to (and compared with) the registry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from samverkan_ops.kafka_client import Bootstrap, client_options
from samverkan_shared.topics import TopicSpec, all_topics

__all__ = ["TopicState", "app", "apply_topics", "topic_states"]

app = typer.Typer(help="Topics on any broker, from the topic registry.", no_args_is_help=True)
console = Console()

RETENTION = "retention.ms"


@dataclass(frozen=True)
class TopicState:
    """A registry topic and what the broker holds of it (None: the topic is missing)."""

    spec: TopicSpec
    partitions: int | None
    retention_ms: int | None
    records: int = 0

    def differences(self) -> list[str]:
        """What apply would change, in words; empty when the broker matches the registry."""
        if self.partitions is None:
            return ["missing"]
        out = []
        if self.partitions != self.spec.partitions:
            out.append(f"partitions {self.partitions} → {self.spec.partitions}")
        if self.retention_ms != self.spec.retention_ms:
            out.append(f"retention.ms {self.retention_ms} → {self.spec.retention_ms}")
        return out


@asynccontextmanager
async def _admin(bootstrap: str) -> Any:
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _retention(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int | None]:
    if not names:
        return {}
    # No config-name filter: Tansu drops the connection on a filtered DescribeConfigs.
    resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
    found: dict[str, int | None] = dict.fromkeys(names)
    for response in await admin.describe_configs(resources):
        for _err, _msg, _type, name, entries in response.resources:
            for entry in entries:
                if entry[0] == RETENTION and entry[1] is not None:
                    found[name] = int(entry[1])
    return found


async def _records(bootstrap: str, parts: dict[str, int]) -> dict[str, int]:
    """Records ever written per topic (the sum of end offsets), from one plain consumer."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap))
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t, n in parts.items() for p in range(n)]
        ends = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    out = dict.fromkeys(parts, 0)
    for tp, end in ends.items():
        out[tp.topic] += end
    return out


async def topic_states(bootstrap: str, *, records: bool = False) -> list[TopicState]:
    """Every registry topic with the broker's partitions and retention (and record counts)."""
    specs = all_topics()
    async with _admin(bootstrap) as admin:
        existing = set(await admin.list_topics())
        present = [s.name for s in specs if s.name in existing]
        described = await admin.describe_topics(present) if present else []
        partitions = {d["topic"]: len(d["partitions"]) for d in described}
        retention = await _retention(admin, present)
    counts = await _records(bootstrap, partitions) if records else {}
    return [
        TopicState(s, partitions.get(s.name), retention.get(s.name), counts.get(s.name, 0))
        for s in specs
    ]


async def _change(admin: AIOKafkaAdminClient, state: TopicState) -> str:
    spec = state.spec
    if state.partitions is None:
        config = {RETENTION: str(spec.retention_ms)}
        await admin.create_topics([NewTopic(spec.name, spec.partitions, 1, topic_configs=config)])
        return "created"
    done = []
    if state.partitions < spec.partitions:
        await admin.create_partitions({spec.name: NewPartitions(spec.partitions)})
        done.append(f"partitions {state.partitions} → {spec.partitions}")
    elif state.partitions > spec.partitions:
        # Kafka cannot remove partitions; recreating would lose the topic's records.
        raise RuntimeError(f"has {state.partitions} partitions, the registry wants fewer")
    if state.retention_ms != spec.retention_ms:
        config = {RETENTION: str(spec.retention_ms)}
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name, config)])
        done.append(f"retention.ms → {spec.retention_ms}")
    return ", ".join(done) or "unchanged"


async def apply_topics(bootstrap: str, progress: Progress | None = None) -> list[tuple[str, str]]:
    """Create missing topics and update drifted ones; (topic, outcome) each, errors included."""
    states = await topic_states(bootstrap)
    task = progress.add_task("applying topics", total=len(states)) if progress else None
    results: list[tuple[str, str]] = []
    async with _admin(bootstrap) as admin:
        for state in states:
            try:
                outcome = await _change(admin, state) if state.differences() else "unchanged"
            except Exception as exc:  # one topic's refusal must not hide the others' outcome
                outcome = f"FAILED: {' '.join(state.differences())}: {exc!r}"
            results.append((state.spec.name, outcome))
            if progress is not None and task is not None:
                progress.advance(task)
    return results


def _progress() -> Progress:
    return Progress(
        TextColumn("  {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _days(ms: int | None) -> str:
    return "—" if ms is None else f"{ms / 86_400_000:g} d"


def _rows(results: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    order = {"created": 0, "unchanged": 2}
    yield from sorted(results, key=lambda r: (order.get(r[1], 1), r[0]))


@app.command("apply")
def apply_command(bootstrap: str = Bootstrap) -> None:
    """Create or update every registry topic (partitions, retention); safe to run again."""
    with _progress() as progress:
        results = asyncio.run(apply_topics(bootstrap, progress))
    table = Table("topic", "outcome", title=f"Topics on {bootstrap}")
    for name, outcome in _rows(results):
        style = "red" if outcome.startswith("FAILED") else ("dim" if outcome == "unchanged" else "")
        table.add_row(name, outcome, style=style)
    console.print(table)
    counts: dict[str, int] = {}
    for _name, outcome in results:
        key = (
            outcome
            if outcome in ("created", "unchanged")
            else ("failed" if outcome.startswith("FAILED") else "updated")
        )
        counts[key] = counts.get(key, 0) + 1
    console.print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if counts.get("failed"):
        raise typer.Exit(1)


@app.command("status")
def status_command(bootstrap: str = Bootstrap) -> None:
    """Each registry topic as the broker holds it: partitions, retention, records, drift."""
    states = asyncio.run(topic_states(bootstrap, records=True))
    table = Table(
        "topic", "partitions", "retention", "records", "state", title=f"Topics on {bootstrap}"
    )
    for s in states:
        drift = s.differences()
        table.add_row(
            s.spec.name,
            "—" if s.partitions is None else str(s.partitions),
            _days(s.retention_ms),
            str(s.records),
            "ok" if not drift else "; ".join(drift),
            style="" if not drift else "yellow",
        )
    console.print(table)
    drifted = sum(1 for s in states if s.differences())
    console.print(f"{len(states)} topics in the registry, {drifted} differ from it")
    if drifted:
        raise typer.Exit(1)
