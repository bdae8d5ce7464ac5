"""A consumer batch on PostgreSQL: few statements, and the same guarantees as before.

Under load every statement of a batch is a round trip on a busy machine, so a batch writes
its inbox rows and its streams' progress in one statement, and a unit of work writes a few
deferred rows of several tables together with its outbox rows in another. These tests count
the statements of a batch, and check on real PostgreSQL what the SQLite unit tests check:
order, holding behind a gap, redelivery, and a refused event leaving nothing half-written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, event, func, select
from sqlalchemy.exc import IntegrityError

from samverkan_shared.consumer import EventConsumer
from samverkan_shared.contracts import Event
from samverkan_shared.db import insert_together, make_engine
from samverkan_shared.envelope import Envelope, to_kafka
from samverkan_shared.sequence import Stream, progress_of
from samverkan_shared.uow import Storage, UnitOfWork
from shared.tests.unit.fakes import FakeRecord, ListSink, escalation
from tests.infra import fresh_tables, scratch_database

TOPIC = "samverkan.norra.upstream"
REPLY_TOPIC = "samverkan.norra.downstream"
NO_SUCH_PARENT = 99


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with scratch_database("batch-statements") as url:
        yield url


@pytest.fixture
async def storage(dsn: str) -> AsyncIterator[Storage]:
    metadata = MetaData()
    Table(
        "effects",
        metadata,
        Column("sequence", Integer, primary_key=True),
        Column("event_id", String(64), nullable=False),
    )
    Table(
        "notes",
        metadata,
        Column("sequence", Integer, ForeignKey("effects.sequence"), primary_key=True),
        Column("text", String(40), nullable=False),
    )
    store = Storage(make_engine(dsn), metadata)  # its inbox, outbox and progress tables too
    await fresh_tables(store.engine, store.metadata)
    try:
        yield store
    finally:
        await store.engine.dispose()


def _records(envs: list[Envelope], first_offset: int = 0) -> list[FakeRecord]:
    out = []
    for i, env in enumerate(envs):
        r = to_kafka(env)
        out.append(FakeRecord(TOPIC, 0, first_offset + i, r.key, r.value, r.headers))
    return out


def _consumer(storage: Storage, orphan: int | None = None) -> EventConsumer:
    """Defers a row in two tables per event (the child after its parent) and answers it.

    ``orphan``: that sequence's child names a parent that does not exist.
    """
    effects, notes = storage.metadata.tables["effects"], storage.metadata.tables["notes"]

    async def handle(uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        assert env.sequence is not None
        parent = NO_SUCH_PARENT if env.sequence == orphan else env.sequence
        uow.defer(effects, {"sequence": env.sequence, "event_id": env.id})
        uow.defer(notes, {"sequence": parent, "text": f"note {env.sequence}"})
        uow.emit(REPLY_TOPIC, escalation())

    return EventConsumer("test", storage, handle, ListSink())


class Statements:
    """Counts the statements sent (each one a round trip), BEGIN and COMMIT aside: those
    SQLAlchemy executes, and those sent to asyncpg itself (``db.fetch_raw``), which
    SQLAlchemy does not see; asyncpg's query log sees only those."""

    def __init__(self, storage: Storage) -> None:
        self.sent: list[str] = []
        engine = storage.engine.sync_engine
        event.listen(engine, "before_cursor_execute", lambda *args: self.sent.append(args[2]))
        event.listen(engine, "checkout", self._log_queries)

    def _log_queries(self, dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.driver_connection.add_query_logger(self._logged)

    def _logged(self, logged: Any) -> None:
        if not logged.query.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.sent.append(logged.query)


async def _rows(storage: Storage, table: str) -> list[tuple[Any, ...]]:
    t = storage.metadata.tables[table]
    async with storage.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(select(t).order_by(t.c[0]))).all()]


async def _progress(storage: Storage) -> int:
    async with storage.engine.connect() as conn:
        return await progress_of(conn, storage.progress, Stream("test", escalation().source, TOPIC))


async def test_a_batch_is_four_statements_and_applies_in_order(storage: Storage) -> None:
    consumer = _consumer(storage)
    envs = [escalation().with_sequence(n) for n in range(1, 11)]
    await consumer.process_batch(_records(envs[:5]))  # the stream's first batch makes its row

    counted = Statements(storage)
    await consumer.process_batch(_records(envs[5:], first_offset=5))

    # positions; inbox and progress; the outbox counter; effects, notes and outbox together
    # (seven before: the inbox, the progress, each table and the outbox on their own)
    assert len(counted.sent) == 4, counted.sent
    assert [r[0] for r in await _rows(storage, "effects")] == list(range(1, 11))
    assert [r[1] for r in await _rows(storage, "notes")] == [f"note {n}" for n in range(1, 11)]
    assert await _progress(storage) == 10
    async with storage.engine.connect() as conn:
        outbox = (await conn.execute(select(storage.outbox.c.sequence))).scalars().all()
    assert sorted(outbox) == list(range(1, 11))  # numbered in the reply topic, gapless


async def test_a_redelivered_batch_changes_nothing(storage: Storage) -> None:
    consumer = _consumer(storage)
    envs = [escalation().with_sequence(n) for n in range(1, 4)]
    await consumer.process_batch(_records(envs))
    await consumer.process_batch(_records(envs))

    assert consumer.outcome.applied == 3
    assert consumer.outcome.duplicates == 3
    assert len(await _rows(storage, "effects")) == 3
    assert await _progress(storage) == 3


async def test_the_same_event_twice_in_one_batch_is_applied_once(storage: Storage) -> None:
    consumer = _consumer(storage)
    first, second = (escalation().with_sequence(n) for n in (1, 2))
    await consumer.process_batch(_records([first, second, second]))

    assert [r[0] for r in await _rows(storage, "effects")] == [1, 2]
    assert consumer.outcome.applied == 2
    assert await _progress(storage) == 2


async def test_events_beyond_a_gap_wait_for_it(storage: Storage) -> None:
    consumer = _consumer(storage)
    envs = {n: escalation().with_sequence(n) for n in range(1, 6)}
    await consumer.process_batch(_records([envs[1]]))
    await consumer.process_batch(_records([envs[4], envs[5]], first_offset=1))

    assert [r[0] for r in await _rows(storage, "effects")] == [1]
    assert consumer.outcome.held == 2
    assert await _progress(storage) == 1

    await consumer.process_batch(_records([envs[2], envs[3]], first_offset=3))
    assert [r[0] for r in await _rows(storage, "effects")] == [1, 2, 3, 4, 5]
    assert await _progress(storage) == 5


async def test_a_refused_row_leaves_nothing_of_its_event(storage: Storage) -> None:
    consumer = _consumer(storage, orphan=2)
    envs = [escalation().with_sequence(n) for n in range(1, 4)]
    await consumer.process_batch(_records(envs))

    # The batch is refused as a whole and taken one record at a time: the orphan's event is
    # dead-lettered with no row of it written; the others are applied, in order.
    assert [r[0] for r in await _rows(storage, "effects")] == [1, 3]
    assert [r[0] for r in await _rows(storage, "notes")] == [1, 3]
    assert consumer.outcome.dead_lettered == 1
    assert await _progress(storage) == 3


async def test_rows_of_several_tables_in_one_statement(storage: Storage) -> None:
    effects, notes = storage.metadata.tables["effects"], storage.metadata.tables["notes"]
    rows = {
        effects: [{"sequence": 7, "event_id": "e7"}, {"sequence": 8, "event_id": "e8"}],
        notes: [{"sequence": 8, "text": "eight"}],
    }
    async with storage.engine.connect() as conn:  # asyncpg looks the array types up once
        await conn.begin()
        await insert_together(conn, rows)
        await conn.rollback()
    counted = Statements(storage)
    async with storage.engine.begin() as conn:
        await insert_together(conn, rows)
    assert len(counted.sent) == 1, counted.sent
    assert await _rows(storage, "effects") == [(7, "e7"), (8, "e8")]
    assert await _rows(storage, "notes") == [(8, "eight")]

    with pytest.raises(IntegrityError, match="notes"):
        async with storage.engine.begin() as conn:
            await insert_together(
                conn,
                {
                    effects: [{"sequence": 9, "event_id": "e9"}],
                    notes: [{"sequence": NO_SUCH_PARENT, "text": "orphan"}],
                },
            )
    async with storage.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(effects))).scalar() == 2
