"""``samverkan tail``: follow the dialogue live, every event decoded, filtered by region or type."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from rich.console import Console
from rich.markup import escape

from samverkan_ops.kafka_client import Bootstrap, client_options
from samverkan_shared.envelope import format_time, from_kafka
from samverkan_shared.errors import EnvelopeError
from samverkan_shared.topics import TopicSpec, all_topics

__all__ = ["Line", "decode", "select_topics", "tail_command"]

console = Console(highlight=False)
_TYPE_PREFIX = "se.samverkan."


@dataclass(frozen=True)
class Line:
    """One event as the operator sees it."""

    time: str
    topic: str
    type: str
    subject: str
    source: str

    def render(self) -> str:
        """A fixed-width line: time, topic, type, subject, source."""
        short = self.type.removeprefix(_TYPE_PREFIX)
        return (
            f"[dim]{self.time:<27}[/dim] [cyan]{escape(self.topic):<40}[/cyan] "
            f"[bold]{escape(short):<34}[/bold] {escape(self.subject):<48} [dim]{escape(self.source)}[/dim]"
        )


def select_topics(regions: list[str], dead_letters: bool) -> list[TopicSpec]:
    """The registry topics to follow (every region unless some are named)."""
    known = {s.region for s in all_topics()}
    unknown = sorted(set(regions) - known)
    if unknown:
        raise typer.BadParameter(f"unknown region(s) {unknown}; the registry has {sorted(known)}")
    return [
        s
        for s in all_topics()
        if (not regions or s.region in regions) and (dead_letters or not s.dead_letter)
    ]


def decode(record: ConsumerRecord[bytes, bytes]) -> Line:
    """The CloudEvent in a record; an undecodable one is shown, not skipped."""
    try:
        env = from_kafka(record.key, record.value, list(record.headers or ()))
    except EnvelopeError as exc:
        stamp = format_time_ms(record.timestamp)
        return Line(stamp, record.topic, f"(undecodable: {exc})", "", "")
    return Line(format_time(env.time), record.topic, env.type, env.subject, env.source)


def format_time_ms(ms: int) -> str:
    """A Kafka timestamp (ms since the epoch) in RFC 3339."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def _matches(line: Line, types: list[str]) -> bool:
    return not types or any(t in line.type for t in types)


async def follow(
    bootstrap: str,
    topics: list[str],
    *,
    types: list[str],
    from_beginning: bool,
    limit: int | None,
    idle_exit: float | None,
) -> int:
    """Print matching events until ``limit`` or ``idle_exit`` seconds without one; returns count."""
    consumer = AIOKafkaConsumer(
        *topics,
        **client_options(bootstrap),
        group_id=None,  # no group: tailing never moves a service's committed offsets
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    shown = 0
    last = time.monotonic()
    try:
        while limit is None or shown < limit:
            batch = await consumer.getmany(timeout_ms=500)
            records = sorted((r for rs in batch.values() for r in rs), key=lambda r: r.timestamp)
            for record in records:
                line = decode(record)
                if _matches(line, types) and (limit is None or shown < limit):
                    console.print(line.render(), soft_wrap=True)
                    shown += 1
                    last = time.monotonic()
            if idle_exit is not None and time.monotonic() - last > idle_exit:
                break
    finally:
        await consumer.stop()
    return shown


def tail_command(
    bootstrap: str = Bootstrap,
    region: list[str] = typer.Option([], "--region", "-r", help="Only this region (repeatable)"),
    type_: list[str] = typer.Option(
        [], "--type", "-t", help="Only event types containing this text (repeatable)"
    ),
    from_beginning: bool = typer.Option(False, help="Start at the oldest retained event"),
    dead_letters: bool = typer.Option(False, "--dlq", help="Also follow the dead-letter topics"),
    limit: int | None = typer.Option(None, help="Stop after this many events"),
    idle_exit: float | None = typer.Option(None, help="Stop after this many quiet seconds"),
) -> None:
    """Follow the dialogue live: time, topic, type, subject, source of every event."""
    topics = [s.name for s in select_topics(region, dead_letters)]
    console.print(
        f"[dim]following {len(topics)} topics on {bootstrap}"
        f"{' from the beginning' if from_beginning else ''} — Ctrl-C stops[/dim]"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            follow(
                bootstrap,
                topics,
                types=type_,
                from_beginning=from_beginning,
                limit=limit,
                idle_exit=idle_exit,
            )
        )
