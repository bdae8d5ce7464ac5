"""The inbox: an event's (source, id) is recorded in the transaction of its effect."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from samverkan_shared.db import (
    POSTGRESQL,
    UTCDateTime,
    column_arrays,
    insert_ignore,
    insert_ignore_many,
    pg_type,
    unnest_insert,
)
from samverkan_shared.envelope import Envelope
from samverkan_shared.rawsql import fetch_raw
from samverkan_shared.sequence import Stream, advance_many, define_sequencing, plain_moves

__all__ = ["define_inbox", "inbox_row", "record_batch", "record_in_inbox"]


def define_inbox(metadata: MetaData) -> Table:
    """The inbox table in a service's metadata (with the per-stream ordering tables beside it)."""
    define_sequencing(metadata)
    return Table(
        "inbox",
        metadata,
        Column("source", String(200), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("sequence", BigInteger),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("processed_at", UTCDateTime, nullable=False),
    )


def inbox_row(
    env: Envelope, topic: str, partition: int, offset: int, at: datetime | None = None
) -> dict[str, Any]:
    """The inbox row that marks this event applied (``at``: the batch's one moment)."""
    return {
        "source": env.source,
        "event_id": env.id,
        "event_type": env.type,
        "sequence": env.sequence,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "processed_at": at or datetime.now(UTC),
    }


async def record_in_inbox(
    conn: AsyncConnection, inbox: Table, env: Envelope, topic: str, partition: int, offset: int
) -> bool:
    """True if this event is new; False if it was already applied (a redelivery)."""
    row = inbox_row(env, topic, partition, offset)
    result = await conn.execute(insert_ignore(conn, inbox, **row))
    return bool(result.rowcount)


async def record_batch(
    conn: AsyncConnection,
    inbox: Table,
    progress: Table,
    held: Table,
    rows: list[dict[str, Any]],
    moves: dict[Stream, int],
    before: dict[Stream, int],
    holding: set[Stream],
    at: datetime,
) -> set[tuple[str, str]]:
    """A batch's inbox rows and its streams' new progress (``sequence.advance_many``); the
    (source, id) of the rows that were new (the others were applied before).

    On PostgreSQL the rows and the moves that only raise a known stream go in one statement:
    one round trip where the inbox INSERT and the progress UPDATE were two, in every batch of
    every consumer. New streams and streams holding events follow as before (rare).
    """
    if rows and conn.dialect.name == "postgresql":
        plain = plain_moves(moves, before, holding)
        new = await _record_with_progress(conn, inbox, progress, rows, plain, at)
        moves = {stream: n for stream, n in moves.items() if stream not in plain}
    else:
        new = set(await insert_ignore_many(conn, inbox, rows, inbox.c.source, inbox.c.event_id))
    await advance_many(conn, progress, held, moves, before, holding)
    return new


async def _record_with_progress(
    conn: AsyncConnection,
    inbox: Table,
    progress: Table,
    rows: list[dict[str, Any]],
    moves: dict[Stream, int],
    at: datetime,
) -> set[tuple[str, str]]:
    columns = tuple(rows[0])
    params: list[Any] = column_arrays(conn, inbox, columns, rows)
    streams = list(moves)
    params += [
        at,
        [st.consumer for st in streams],
        [st.source for st in streams],
        [st.topic for st in streams],
        [moves[st] for st in streams],
    ]
    sql = _inbox_and_progress(inbox, progress, columns)
    found = await fetch_raw(conn, sql, *params)
    return {(source, event_id) for source, event_id in found}


@cache
def _inbox_and_progress(inbox: Table, progress: Table, columns: tuple[str, ...]) -> str:
    """Built once per consumer's inbox: the progress UPDATE rides on the inbox INSERT."""
    n = len(columns)
    p = progress.c
    return (
        f"WITH moved AS (UPDATE {POSTGRESQL.identifier_preparer.format_table(progress)} AS p"
        f" SET applied = m.applied, updated_at = ${n + 1}::{pg_type(p.updated_at)}"
        f" FROM unnest(${n + 2}::{pg_type(p.consumer)}[], ${n + 3}::{pg_type(p.source)}[],"
        f" ${n + 4}::{pg_type(p.topic)}[], ${n + 5}::{pg_type(p.applied)}[])"
        " AS m(consumer, source, topic, applied)"
        " WHERE p.consumer = m.consumer AND p.source = m.source AND p.topic = m.topic) "
        + unnest_insert(inbox, columns, 1)
        + " ON CONFLICT DO NOTHING RETURNING source, event_id"
    )
