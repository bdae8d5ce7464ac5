"""The inbox: an event's (source, id) is recorded in the transaction of its effect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from samverkan_shared.db import UTCDateTime, insert_ignore
from samverkan_shared.envelope import Envelope
from samverkan_shared.sequence import define_sequencing

__all__ = ["define_inbox", "inbox_row", "record_in_inbox"]


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
