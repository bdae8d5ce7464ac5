"""The outbox relay: publishes committed events in order, then marks them sent.

It also answers for its source's streams: the heads it announces and the rows it re-sends
when a consumer lost some (``samverkan_shared.resend``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from samverkan_shared.db import autocommit
from samverkan_shared.drain import DrainLoop
from samverkan_shared.envelope import KafkaRecord
from samverkan_shared.metrics import PUBLISHED
from samverkan_shared.outbox import mark_sent, stored_records, unsent
from samverkan_shared.uow import Storage
from samverkan_shared.written import WrittenRecords

__all__ = ["OutboxRelay", "RecordSink"]


class RecordSink(Protocol):
    """Where the relay sends records: Kafka in production, a list in unit tests."""

    async def send(self, topic: str, record: KafkaRecord) -> None:
        """Send and wait for the broker's acknowledgement (acks=all)."""
        ...

    async def send_all(self, records: Sequence[tuple[str, KafkaRecord]]) -> int:
        """Send in order, waiting for all acknowledgements together.

        Returns how many, from the first, were acknowledged (a failure stops the count).
        """
        ...


class OutboxRelay:
    """Wakes on commit (and polls rarely, for rows committed by another process)."""

    def __init__(
        self, storage: Storage, sink: RecordSink, *, batch_size: int = 500, idle_poll: float = 1.0
    ) -> None:
        self.storage = storage
        self.sink = sink
        self.idle_poll = idle_poll
        self.published = 0
        self.source: str | None = None
        self.loop = DrainLoop("outbox relay", self.drain_once, idle_poll, batch=batch_size)
        storage.on_commit.append(self.loop.wake)
        # What this process commits is handed over in memory; only other rows are read back.
        self.written = storage.written = WrittenRecords()
        self.batch_size = batch_size

    async def run(self) -> None:
        """Drain forever; a broker outage backs off and retries, nothing is marked sent."""
        await self.loop.run()

    async def drain_once(self) -> int:
        """Publish one batch of unsent rows in id order; returns how many were sent."""
        # No transaction: a row marked sent was acknowledged, whatever happens to the rest.
        ob = self.storage.outbox
        async with autocommit(self.storage.engine) as conn:
            rows = await unsent(conn, ob, self.batch_size)
            if not rows:
                return 0
            found = {id_: self.written.take(event_id) for id_, _topic, event_id in rows}
            missing = [id_ for id_, record in found.items() if record is None]
            if missing:
                for id_, key, value, headers in await stored_records(conn, ob, missing):
                    found[id_] = KafkaRecord(key, value, [(k, v.encode()) for k, v in headers])
            batch = [(topic, _present(found[id_])) for id_, topic, _event_id in rows]
            # Sent together, acknowledged together: one round trip per batch, not per record.
            # What the broker acknowledged is marked even if a later record failed; the rest is
            # sent again by the next drain (a consumer's inbox absorbs a repeat).
            done = await self.sink.send_all(batch)
            if done:
                await mark_sent(conn, ob, [id_ for id_, _t, _e in rows[:done]], datetime.now(UTC))
                self.published += done
                # Counted per topic, not per record: a label lookup each was 0.8 % of the
                # national council's samples at ingest.
                for topic, count in Counter(topic for topic, _ in batch[:done]).items():
                    PUBLISHED.labels(topic).inc(count)
            if done < len(batch):
                raise ConnectionError(f"the broker acknowledged {done} of {len(batch)} records")
            return done

    async def heads(self) -> tuple[str | None, dict[str, int]]:
        """This service's source and, per topic, the sequence up to which every event of the
        topic has been published.

        Read from the topics' counters and the unsent rows, which their partial index finds:
        the highest sequence of the sent rows took a scan of the whole outbox, and the outbox
        keeps every event the service ever emitted. Every service announces its heads every
        two seconds; at 500,000 rows that scan took 145-216 ms of PostgreSQL each time, this
        0.25-0.9 ms (README, fifteenth round). A topic's numbers commit in order and the relay
        sends in that order, so everything below its first unsent row was sent; rows marked
        unsent again for a re-send count as unsent until they are sent again.
        """
        ob, counters = self.storage.outbox, self.storage.sequences
        async with self.storage.engine.connect() as conn:
            source = await self._source(conn)
            waiting = (
                select(ob.c.topic, func.min(ob.c.sequence).label("first"))
                .where(ob.c.sent_at.is_(None))
                .group_by(ob.c.topic)
                .subquery()
            )
            head = func.coalesce(waiting.c.first - 1, counters.c.last)
            rows = (
                await conn.execute(
                    select(counters.c.stream, head).select_from(
                        counters.outerjoin(waiting, waiting.c.topic == counters.c.stream)
                    )
                )
            ).all()
        return source, {topic: int(head) for topic, head in rows if head > 0}

    async def own_source(self) -> str | None:
        """This service's CloudEvents source, as its outbox rows carry it (None before any)."""
        if self.source is not None:
            return self.source
        async with self.storage.engine.connect() as conn:
            return await self._source(conn)

    async def _source(self, conn: AsyncConnection) -> str | None:
        if self.source is None:  # every row of one service's outbox has its one source
            ob = self.storage.outbox
            latest = (
                await conn.execute(select(ob.c.headers).order_by(ob.c.id.desc()).limit(1))
            ).scalar_one_or_none()
            self.source = dict(latest or []).get("ce_source")
        return self.source

    async def resend(self, topic: str, start: int, end: int | None = None) -> int:
        """Mark published rows of a topic from ``start`` (to ``end``) unsent; the loop sends them.

        Rows still waiting are left alone, so a repeated request does not send twice as much.
        """
        ob = self.storage.outbox
        stmt = update(ob).where(
            ob.c.topic == topic, ob.c.sequence >= start, ob.c.sent_at.is_not(None)
        )
        if end is not None:
            stmt = stmt.where(ob.c.sequence <= end)
        async with self.storage.engine.begin() as conn:
            count = (
                await conn.execute(stmt.values(sent_at=None, attempts=ob.c.attempts + 1))
            ).rowcount
        self.loop.wake()
        return int(count)

    async def backlog(self) -> tuple[int, float | None]:
        """Unsent rows and the age in seconds of the oldest one."""
        ob = self.storage.outbox
        async with self.storage.engine.connect() as conn:
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.min(ob.c.created_at)).where(ob.c.sent_at.is_(None))
                )
            ).one()
        if oldest is None:
            return int(count), None
        return int(count), (datetime.now(UTC) - oldest).total_seconds()


def _present(record: KafkaRecord | None) -> KafkaRecord:
    if record is None:  # an unsent row is read back unless it was in memory
        raise LookupError("an unsent outbox row vanished while the relay read it")
    return record
