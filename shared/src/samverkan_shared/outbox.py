"""The transactional outbox: events are rows written in the transaction of the state change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Text,
    Update,
    bindparam,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from samverkan_shared.db import POSTGRESQL, UTCDateTime, upsert_increments
from samverkan_shared.envelope import Envelope, KafkaRecord, header_text, to_kafka
from samverkan_shared.rawsql import Compiled, execute_raw, fetch_raw

if TYPE_CHECKING:
    from samverkan_shared.signing import Signer

__all__ = ["define_outbox", "mark_sent", "number_for_outbox", "stored_records", "unsent"]


def define_outbox(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox table and the per-stream sequence counters, in a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("sequence", BigInteger, nullable=False),
        Column("key", LargeBinary, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    sequences = Table(
        "outbox_sequence",
        metadata,
        Column("stream", String(200), primary_key=True),
        Column("last", BigInteger, nullable=False),
    )
    return outbox, sequences


async def number_for_outbox(
    conn: AsyncConnection,
    sequences: Table,
    events: Sequence[tuple[str, Envelope]],
    signer: Signer | None = None,
) -> tuple[list[tuple[Envelope, KafkaRecord]], list[dict[str, Any]]]:
    """Number events in their topics' streams and sign them: the events with their records,
    and the outbox rows to insert in this transaction.

    One statement moves every topic's counter. A counter row is locked until the transaction
    ends, so the numbers are gapless and commit in order; the counters are locked in the
    topics' name order, the same in every transaction, so that two of them never wait for
    each other.
    """
    if not events:
        return [], []
    counts = Counter(topic for topic, _ in events)
    moved = await upsert_increments(conn, sequences, "stream", "last", counts)
    next_number = {topic: last - counts[topic] + 1 for topic, last in moved}
    at = datetime.now(UTC)
    numbered: list[tuple[Envelope, KafkaRecord]] = []
    rows: list[dict[str, Any]] = []
    for topic, envelope in events:
        seq = next_number[topic]
        next_number[topic] += 1
        env = envelope.with_sequence(seq)
        if signer is not None:  # after numbering: the signature covers the sequence too
            env = signer.sign(env)
        text = header_text(env)  # stored as text, sent as bytes: not encoded and decoded back
        record = to_kafka(env, text)
        numbered.append((env, record))
        rows.append(
            {
                "event_id": env.id,
                "event_type": env.type,
                "topic": topic,
                "sequence": seq,
                "key": record.key,
                "value": record.value,
                "headers": text,
                "created_at": at,
                "attempts": 0,
            }
        )
    return numbered, rows


# The relay's three statements. It drains after nearly every commit of its service, so on
# PostgreSQL they go to asyncpg itself (``rawsql``: a statement through SQLAlchemy's Core
# cost about 185 µs more CPU), built once per table; SQLite takes them through SQLAlchemy.


async def unsent(conn: AsyncConnection, outbox: Table, limit: int) -> list[tuple[int, str, str]]:
    """(id, topic, event_id) of up to ``limit`` unsent rows, in id order."""
    rows = await _unsent(outbox).rows(conn, {"limit": limit})
    return [(int(id_), topic, event_id) for id_, topic, event_id in rows]


async def stored_records(
    conn: AsyncConnection, outbox: Table, ids: list[int]
) -> list[tuple[int, bytes, bytes, list[list[str]]]]:
    """(id, key, value, headers as stored) of these rows: records another process wrote."""
    if conn.dialect.name == "postgresql":
        rows = await fetch_raw(conn, _pg(outbox).stored, ids)
    else:
        rows = list(await conn.execute(_stored(outbox), {"ids": ids}))
    return [(int(id_), key, value, headers) for id_, key, value, headers in rows]


async def mark_sent(conn: AsyncConnection, outbox: Table, ids: list[int], at: datetime) -> None:
    """These rows were acknowledged by the broker at ``at``."""
    if conn.dialect.name == "postgresql":
        await execute_raw(conn, _pg(outbox).mark_sent, ids, at)
    else:
        await conn.execute(_mark_sent(outbox), {"ids": ids, "at": at})


class _ByIds(NamedTuple):
    stored: str
    mark_sent: str


@cache
def _pg(outbox: Table) -> _ByIds:
    """The read and the mark by ids as PostgreSQL text: the ids as one array, so one prepared
    statement each whatever the batch's size (an expanding IN was a statement per size)."""
    name = POSTGRESQL.identifier_preparer.format_table(outbox)
    return _ByIds(
        stored=f"SELECT id, key, value, headers FROM {name} WHERE id = ANY($1::bigint[])",
        mark_sent=f"UPDATE {name} SET sent_at = $2 WHERE id = ANY($1::bigint[])",
    )


@cache
def _unsent(outbox: Table) -> Compiled:
    c = outbox.c
    return Compiled(
        select(c.id, c.topic, c.event_id)
        .where(c.sent_at.is_(None))
        .order_by(c.id)
        .limit(bindparam("limit"))
    )


@cache
def _stored(outbox: Table) -> Select[Any]:
    c = outbox.c
    return select(c.id, c.key, c.value, c.headers).where(c.id.in_(bindparam("ids", expanding=True)))


@cache
def _mark_sent(outbox: Table) -> Update:
    c = outbox.c
    return (
        update(outbox)
        .where(c.id.in_(bindparam("ids", expanding=True)))
        .values(sent_at=bindparam("at"))
    )
