"""The unit of work: one transaction for a state change, its outbox rows and its inbox row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from samverkan_shared.db import COPY_FROM, insert_many, insert_together, together
from samverkan_shared.envelope import Envelope, KafkaRecord
from samverkan_shared.inbox import define_inbox
from samverkan_shared.outbox import define_outbox, number_for_outbox
from samverkan_shared.sequence import define_sequencing
from samverkan_shared.signing import Signer
from samverkan_shared.written import WrittenRecords

__all__ = ["Storage", "UnitOfWork"]


@dataclass
class Storage:
    """A service's database: its engine, and the outbox and inbox tables in its metadata."""

    engine: AsyncEngine
    metadata: MetaData
    outbox: Table = field(init=False)
    sequences: Table = field(init=False)
    inbox: Table = field(init=False)
    progress: Table = field(init=False)
    held: Table = field(init=False)
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    signer: Signer | None = None
    written: WrittenRecords | None = None
    """Where committed outbox records wait for this process's relay (it sets this)."""

    def __post_init__(self) -> None:
        tables = self.metadata.tables
        if "outbox" in tables:
            self.outbox, self.sequences, self.inbox = (
                tables["outbox"],
                tables["outbox_sequence"],
                tables["inbox"],
            )
        else:
            self.outbox, self.sequences = define_outbox(self.metadata)
            self.inbox = define_inbox(self.metadata)
        if "stream_progress" not in tables:  # a metadata that defined its inbox by hand
            define_sequencing(self.metadata)
        tables = self.metadata.tables
        self.progress, self.held = tables["stream_progress"], tables["held_events"]

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on this database."""
        return UnitOfWork(self)

    async def create_schema(self) -> None:
        """Create every table of the service (development and tests)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(self.metadata.create_all)


class UnitOfWork:
    """``async with storage.unit_of_work() as uow: …; await uow.commit()``.

    Emitted events, and rows a handler defers, are written together just before the commit
    (``flush``): one INSERT per table and one counter update per topic, however many events
    a batch applied.
    """

    conn: AsyncConnection

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._emitted = 0
        self._committed = False
        self._events: list[tuple[str, Envelope]] = []
        self._rows: dict[Table, list[dict[str, Any]]] = {}
        self._stored: list[tuple[str, KafkaRecord]] = []  # outbox records, by event id
        self.memo: dict[str, Any] = {}
        """What a handler read or decided for this transaction (a batch shares it)."""

    async def __aenter__(self) -> UnitOfWork:
        self.conn = await self.storage.engine.connect()
        await self.conn.begin()
        return self

    def emit(self, topic: str, envelope: Envelope) -> None:
        """Add an event to the outbox, in this transaction (numbered and signed at flush)."""
        self._emitted += 1
        self._events.append((topic, envelope))

    def defer(self, table: Table, row: dict[str, Any]) -> None:
        """Insert this row at flush (tables in the order first deferred: parents first)."""
        self._rows.setdefault(table, []).append(row)

    async def write_deferred(self) -> None:
        """Write the deferred rows now, for a handler that reads them back in the transaction.

        Events are left for ``flush``: they lock their topics' counters, and those locks are
        taken last (see ``flush``).
        """
        rows, self._rows = self._rows, {}
        for table, batch in rows.items():
            await insert_many(self.conn, table, batch)

    async def flush(self) -> list[Envelope]:
        """Write deferred rows and the outbox; returns the events as numbered and signed.

        Numbering an event locks its topic's counter until the commit. Taken at the end of
        the transaction, by one statement in topic order (``db.upsert_increments``), no two
        transactions each hold a lock the other waits for: a batch that wrote receipts to
        several regions deadlocked with an assessment published to all of them (seen under
        load in ``make bench``: PostgreSQL aborted one, the assessment's request answered 500).

        A few rows a table (the usual request or small batch) go in with the outbox rows in
        one statement after the numbering (``db.insert_together``): two round trips where a
        national escalation took five. Many rows go by COPY first, as before.
        """
        events, self._events = self._events, []
        if not events and not self._rows:
            return []
        s = self.storage
        at_once = len(events) < COPY_FROM and together(self.conn, self._rows)
        if not at_once:
            await self.write_deferred()
        rows, self._rows = self._rows, {}
        numbered, outbox_rows = await number_for_outbox(self.conn, s.sequences, events, s.signer)
        if at_once:
            if outbox_rows:
                rows[s.outbox] = outbox_rows
            await insert_together(self.conn, rows)
        else:
            await insert_many(self.conn, s.outbox, outbox_rows)
        self._stored += [(env.id, record) for env, record in numbered]
        return [env for env, _ in numbered]

    def wake_on_commit(self) -> None:
        """Ask for the on-commit hooks (relay, senders) to run after this commit."""
        self._emitted += 1

    async def commit(self) -> None:
        """Flush, commit, then wake the relay if anything was emitted."""
        await self.flush()
        await self.conn.commit()
        self._committed = True
        if self._stored and self.storage.written is not None:
            self.storage.written.add(self._stored)
        if self._emitted:
            for wake in self.storage.on_commit:
                wake()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.conn.rollback()
        finally:
            await self.conn.close()
