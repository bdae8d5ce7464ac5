"""`samverkan dlq list|replay`: inspect dead letters and re-drive them after a fix.

Replay publishes each chosen letter to the topic it came from (``dlq-topic``), same key and
value, without the ``dlq-*`` headers and with ``samverkan-replay`` set, so a consumer applies
an event whose stream position it had already passed (``samverkan_shared.sequence``). Letters
are chosen by topic, reason and event id, never by a remembered position: an operator may
re-drive the same letter again after a second fix, and a copy that was applied already is a
duplicate the inbox absorbs. A letter that fails again is dead-lettered again, with the new
reason.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from samverkan_ops.kafka_client import Bootstrap, client_options
from samverkan_shared.sequence import REPLAY_HEADER
from samverkan_shared.topics import all_topics

__all__ = ["app", "chosen", "read_letters", "replay_letters"]

app = typer.Typer(help="Dead letters: list them, and re-drive them to their topic after a fix.")
TopicOpt = Annotated[str | None, typer.Option("--topic", help="one dead-letter topic (else all)")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="only letters with this reason")]
EventOpt = Annotated[
    list[str] | None, typer.Option("--event-id", help="only this event (repeatable)")
]


def _dlq_topics(topic: str | None) -> list[str]:
    return [topic] if topic else [t.name for t in all_topics() if t.dead_letter]


async def read_letters(bootstrap: str, topics: list[str], group: str | None = None) -> list[Any]:
    """Every record in the topics (after the group's committed offsets, if a group is given)."""
    consumer = AIOKafkaConsumer(
        *topics,
        **client_options(bootstrap),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[Any] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1500):
            for records in batch.values():
                out.extend(records)
    finally:
        await consumer.stop()
    return out


def _headers(record: Any) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers}


def chosen(letters: list[Any], reason: str | None, event_ids: list[str] | None) -> list[Any]:
    """The letters an operator picked, in topic and offset order."""
    out = []
    for rec in sorted(letters, key=lambda r: (r.topic, r.partition, r.offset)):
        h = _headers(rec)
        if reason and h.get("dlq-reason") != reason:
            continue
        if event_ids and h.get("ce_id") not in event_ids:
            continue
        out.append(rec)
    return out


@app.command("list")
def list_command(
    bootstrap: str = Bootstrap,
    topic: TopicOpt = None,
    reason: ReasonOpt = None,
    event_id: EventOpt = None,
) -> None:
    """Every dead letter: where it was parked, the event, who refused it, why and when."""
    letters = chosen(asyncio.run(read_letters(bootstrap, _dlq_topics(topic))), reason, event_id)
    table = Table(title=f"Dead letters on {bootstrap}")
    for column in ("topic", "offset", "event id", "type", "consumer", "reason", "parked", "error"):
        table.add_column(column, overflow="fold")
    for rec in letters:
        h = _headers(rec)
        table.add_row(
            rec.topic,
            f"{rec.partition}:{rec.offset}",
            h.get("ce_id", "?"),
            h.get("ce_type", "?"),
            h.get("dlq-consumer", "?"),
            h.get("dlq-reason", "?"),
            h.get("dlq-at", "?")[:19],
            h.get("dlq-error", "")[:120],
        )
    Console(width=220).print(table)
    Console().print(f"{len(letters)} dead letter(s)")


async def replay_letters(
    bootstrap: str,
    topics: list[str],
    reason: str | None,
    event_ids: list[str] | None,
    console: Console,
) -> list[Any]:
    """Re-drive the chosen letters to their topics; returns the letters sent."""
    letters = [
        rec
        for rec in chosen(await read_letters(bootstrap, topics), reason, event_ids)
        if _headers(rec).get("dlq-topic")
    ]
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all")
    await producer.start()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("re-driving dead letters", total=len(letters))
            for rec in letters:
                headers = [(k, v) for k, v in rec.headers if not k.startswith("dlq-")]
                headers.append((REPLAY_HEADER, b"1"))
                await producer.send_and_wait(
                    _headers(rec)["dlq-topic"], rec.value, key=rec.key, headers=headers
                )
                progress.advance(task)
    finally:
        await producer.stop()
    return letters


@app.command("replay")
def replay_command(
    bootstrap: str = Bootstrap,
    topic: TopicOpt = None,
    reason: ReasonOpt = None,
    event_id: EventOpt = None,
) -> None:
    """Send the chosen dead letters back to the topic they came from (a copy applied already
    is a duplicate, absorbed)."""
    console = Console(width=200)
    sent = asyncio.run(replay_letters(bootstrap, _dlq_topics(topic), reason, event_id, console))
    table = Table(title="Re-driven")
    for column in ("to topic", "event id", "type", "was parked for"):
        table.add_column(column, overflow="fold")
    for rec in sent:
        h = _headers(rec)
        table.add_row(
            h["dlq-topic"], h.get("ce_id", "?"), h.get("ce_type", "?"), h.get("dlq-reason", "?")
        )
    console.print(table)
    console.print(f"{len(sent)} dead letter(s) re-driven to their topics")
