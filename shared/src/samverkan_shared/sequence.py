"""Per-stream order: each consumer applies a source's events on a topic in sequence order.

ARCHITECTURE. The outbox numbers every event gaplessly per (source, topic): a source's
outbox row N+1 is committed only after row N (the counter row is locked in between). A
consumer keeps, per (consumer, source, topic), the highest *contiguous* sequence it has
finished — applied, or dead-lettered after it was authenticated — in ``stream_progress``,
in the transaction of the effect. On arrival of sequence ``s`` with progress ``p``:

- ``s <= p``: already finished; a duplicate (the inbox would say so too) — skipped.
  An operator's replay of a dead letter (header ``samverkan-replay``) is the exception.
- ``s == p + 1``: the next one; apply it, then release any held events that follow.
- ``s > p + 1``: a gap. The event is **held** in ``held_events`` (offset committed) and
  applied only after every earlier one. It is never applied out of order, so a state machine
  never sees an issue's events out of order (one topic has one writer, so stream order
  contains per-issue order).

A gap that does not close by itself (the broker lost records) is noticed by the gap watcher
(``samverkan_shared.resend``), which asks the source to re-send from ``p + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from samverkan_shared.db import UTCDateTime, insert_ignore
from samverkan_shared.rawsql import Compiled
from samverkan_shared.topics import downstream, region_of_topic, upstream

__all__ = [
    "REPLAY_HEADER",
    "Gap",
    "HeldRecord",
    "Position",
    "Stream",
    "advance",
    "advance_many",
    "classify",
    "define_sequencing",
    "gaps",
    "held_between",
    "held_row",
    "held_sequences",
    "hold",
    "is_sequenced",
    "plain_moves",
    "positions_of_consumer",
    "progress_of",
    "take_held",
]

REPLAY_HEADER = "samverkan-replay"
"""Set by ``samverkan dlq replay``: apply a finished-but-dead-lettered event once more."""


def define_sequencing(metadata: MetaData) -> tuple[Table, Table]:
    """The progress and held-event tables, in a service's metadata."""
    progress = Table(
        "stream_progress",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("source", String(200), primary_key=True),
        Column("topic", String(200), primary_key=True),
        Column("applied", BigInteger, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    held = Table(
        "held_events",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("source", String(200), primary_key=True),
        Column("topic", String(200), primary_key=True),
        Column("sequence", BigInteger, primary_key=True),
        Column("event_id", String(64), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", LargeBinary, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("held_at", UTCDateTime, nullable=False),
    )
    return progress, held


def is_sequenced(topic: str) -> bool:
    """Dialogue topics carry outbox sequences; intake topics carry what regional systems send."""
    try:
        region = region_of_topic(topic)
    except ValueError:
        return False
    return topic in (upstream(region), downstream(region))


class Position(StrEnum):
    """Where an arriving sequence stands against the stream's progress."""

    DONE = "done"
    NEXT = "next"
    AHEAD = "ahead"


def classify(sequence: int, applied: int) -> Position:
    """The ordering rule (module docstring)."""
    if sequence <= applied:
        return Position.DONE
    if sequence == applied + 1:
        return Position.NEXT
    return Position.AHEAD


@dataclass(frozen=True, slots=True)
class Stream:
    """One consumer's view of one source's events on one topic."""

    consumer: str
    source: str
    topic: str

    def where(self, table: Table) -> list[ColumnElement[bool]]:
        """The WHERE clause selecting this stream's rows."""
        return [
            table.c.consumer == self.consumer,
            table.c.source == self.source,
            table.c.topic == self.topic,
        ]


@dataclass(slots=True)
class HeldRecord:
    """A held event as the consumer reads records (the IncomingRecord protocol)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    sequence: int


async def progress_of(conn: AsyncConnection, progress: Table, stream: Stream) -> int:
    """The highest contiguous sequence finished (0: nothing yet)."""
    value = (
        await conn.execute(select(progress.c.applied).where(*stream.where(progress)))
    ).scalar_one_or_none()
    return int(value or 0)


async def positions_of_consumer(
    conn: AsyncConnection, progress: Table, held: Table, consumer: str
) -> tuple[dict[Stream, int], set[Stream]]:
    """Every stream's progress of one consumer, and the streams holding events (usually
    none): what a batch needs to know first, in one round trip."""
    rows = await _positions(progress, held).rows(conn, {"b_consumer": consumer})
    known: dict[Stream, int] = {}
    holding: set[Stream] = set()
    for source, topic, applied, is_held in rows:
        if is_held:
            holding.add(Stream(consumer, source, topic))
        else:
            known[Stream(consumer, source, topic)] = int(applied)
    return known, holding


# Every batch of every consumer runs these two: built once per table, not per batch (in a
# batch of one record, building them was a sixth of its CPU).
@cache
def _positions(progress: Table, held: Table) -> Compiled:
    p, h = progress.c, held.c
    mine: BindParameter[str] = bindparam("b_consumer")
    applied = select(p.source, p.topic, p.applied, literal(False).label("held")).where(
        p.consumer == mine
    )
    holding = (
        select(h.source, h.topic, literal(0).label("applied"), literal(True).label("held"))
        .where(h.consumer == mine)
        .distinct()
    )
    return Compiled(union_all(applied, holding))  # on asyncpg itself: every batch asks


@cache
def _advance_known(progress: Table) -> Any:
    c = progress.c
    return (
        progress.update()
        .where(
            c.consumer == bindparam("b_consumer"),
            c.source == bindparam("b_source"),
            c.topic == bindparam("b_topic"),
        )
        .values(applied=bindparam("b_applied"), updated_at=bindparam("b_at"))
    )


async def advance(
    conn: AsyncConnection,
    progress: Table,
    held: Table,
    stream: Stream,
    sequence: int,
    current: int | None = None,
    *,
    holding: bool = True,
) -> None:
    """Record ``sequence`` as finished (never moving back); drop held copies at or below it.

    ``current``: the progress the caller read in this transaction, if it did; ``holding``:
    False if the caller knows the stream holds nothing (no DELETE then).
    """
    now = datetime.now(UTC)
    if current is None:
        current = await progress_of(conn, progress, stream)
    if sequence <= current:
        return
    if current == 0:
        stmt = insert_ignore(
            conn,
            progress,
            consumer=stream.consumer,
            source=stream.source,
            topic=stream.topic,
            applied=sequence,
            updated_at=now,
        )
        if (await conn.execute(stmt)).rowcount:
            if holding:
                await _drop_held(conn, held, stream, sequence)
            return
    # One consumer applies a stream one record at a time, so no other writer moves it back.
    await conn.execute(
        progress.update().where(*stream.where(progress)).values(applied=sequence, updated_at=now)
    )
    if holding:
        await _drop_held(conn, held, stream, sequence)


async def advance_many(
    conn: AsyncConnection,
    progress: Table,
    held: Table,
    moves: dict[Stream, int],
    before: dict[Stream, int],
    holding: set[Stream],
) -> None:
    """``advance`` for a batch's streams: the known ones in one executemany (one round trip
    with asyncpg), new streams and streams holding events one by one (rare)."""
    simple = plain_moves(moves, before, holding)
    if simple:
        now = datetime.now(UTC)
        await conn.execute(
            _advance_known(progress),
            [
                {
                    "b_consumer": st.consumer,
                    "b_source": st.source,
                    "b_topic": st.topic,
                    "b_applied": n,
                    "b_at": now,
                }
                for st, n in simple.items()
            ],
        )
    for stream, n in moves.items():
        if stream not in simple:
            await advance(
                conn, progress, held, stream, n, before.get(stream, 0), holding=stream in holding
            )


def plain_moves(
    moves: dict[Stream, int], before: dict[Stream, int], holding: set[Stream]
) -> dict[Stream, int]:
    """The moves that only raise a known stream's progress: no new row, no held copies."""
    return {
        stream: n
        for stream, n in moves.items()
        if before.get(stream, 0) > 0 and stream not in holding and n > before[stream]
    }


async def _drop_held(conn: AsyncConnection, held: Table, stream: Stream, sequence: int) -> None:
    await conn.execute(delete(held).where(*stream.where(held), held.c.sequence <= sequence))


def held_row(stream: Stream, sequence: int, event_id: str, record: HeldRecord) -> dict[str, Any]:
    """The ``held_events`` row that keeps this record until its turn."""
    return {
        "consumer": stream.consumer,
        "source": stream.source,
        "topic": stream.topic,
        "sequence": sequence,
        "event_id": event_id,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key or b"",
        "value": record.value or b"",
        "headers": [[k, v.decode(errors="replace")] for k, v in record.headers],
        "held_at": datetime.now(UTC),
    }


async def hold(
    conn: AsyncConnection,
    held: Table,
    stream: Stream,
    sequence: int,
    event_id: str,
    record: HeldRecord,
) -> bool:
    """Keep an event that arrived ahead of a gap; False if that sequence is already held."""
    stmt = insert_ignore(conn, held, **held_row(stream, sequence, event_id, record))
    return bool((await conn.execute(stmt)).rowcount)


async def held_sequences(
    conn: AsyncConnection, held: Table, stream: Stream, applied: int, limit: int
) -> list[int]:
    """The first ``limit`` sequences held for this stream, in order (no payloads read)."""
    rows = await conn.execute(
        select(held.c.sequence)
        .where(*stream.where(held), held.c.sequence > applied)
        .order_by(held.c.sequence)
        .limit(limit)
    )
    return [int(r[0]) for r in rows]


async def held_between(
    conn: AsyncConnection, held: Table, stream: Stream, first: int, last: int
) -> list[HeldRecord]:
    """The events held for this stream from ``first`` to ``last``, in sequence order."""
    rows = await conn.execute(
        select(held)
        .where(*stream.where(held), held.c.sequence.between(first, last))
        .order_by(held.c.sequence)
    )
    return [_held_record(row) for row in rows]


async def take_held(
    conn: AsyncConnection, held: Table, stream: Stream, sequence: int
) -> HeldRecord | None:
    """The held event with exactly this sequence, if one is waiting."""
    found = await held_between(conn, held, stream, sequence, sequence)
    return found[0] if found else None


def _held_record(row: Any) -> HeldRecord:
    return HeldRecord(
        topic=row.topic,
        partition=row.partition,
        offset=row.offset,
        key=row.key,
        value=row.value,
        headers=[(k, v.encode()) for k, v in row.headers],
        sequence=row.sequence,
    )


@dataclass(frozen=True, slots=True)
class Gap:
    """A stream with events held behind a missing sequence."""

    stream: Stream
    applied: int
    first_held: int
    held: int
    since: datetime


async def gaps(conn: AsyncConnection, progress: Table, held: Table, consumer: str) -> list[Gap]:
    """Every stream of this consumer that has held events, with its progress."""
    rows = (
        await conn.execute(
            select(
                held.c.source,
                held.c.topic,
                func.min(held.c.sequence),
                func.count(),
                func.min(held.c.held_at),
            )
            .where(held.c.consumer == consumer)
            .group_by(held.c.source, held.c.topic)
        )
    ).all()
    out: list[Gap] = []
    for source, topic, first, count, since in rows:
        stream = Stream(consumer, source, topic)
        applied = await progress_of(conn, progress, stream)
        out.append(Gap(stream, applied, int(first), int(count), since))
    return out
