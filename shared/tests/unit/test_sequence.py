"""Per-stream order: held behind a gap, released in order, duplicates and poison skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from samverkan_shared.consumer import EventConsumer
from samverkan_shared.contracts import Event
from samverkan_shared.db import make_engine
from samverkan_shared.envelope import Envelope, to_kafka
from samverkan_shared.errors import Rejected
from samverkan_shared.sequence import REPLAY_HEADER, Position, classify, gaps, is_sequenced
from samverkan_shared.uow import Storage, UnitOfWork

from .fakes import FakeRecord, ListSink, escalation

TOPIC = "samverkan.norra.upstream"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    metadata = MetaData()
    Table(
        "effects",
        metadata,
        Column("n", Integer, primary_key=True, autoincrement=True),
        Column("sequence", Integer),
        Column("event_id", String(64)),
    )
    store = Storage(make_engine(f"sqlite+aiosqlite:///{tmp_path / 'seq.db'}"), metadata)
    await store.create_schema()
    yield store
    await store.engine.dispose()


def _env(sequence: int) -> Envelope:
    return escalation().with_sequence(sequence)


def _rec(env: Envelope, offset: int, extra: list[tuple[str, bytes]] | None = None) -> FakeRecord:
    r = to_kafka(env)
    return FakeRecord(TOPIC, offset % 3, offset, r.key, r.value, r.headers + (extra or []))


def _consumer(storage: Storage, refuse: set[int] | None = None) -> EventConsumer:
    effects = storage.metadata.tables["effects"]

    async def handle(uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        if env.sequence in (refuse or set()):
            raise Rejected("refused by the test")
        await uow.conn.execute(effects.insert().values(sequence=env.sequence, event_id=env.id))

    return EventConsumer("test", storage, handle, ListSink())


async def _applied(storage: Storage) -> list[int]:
    effects = storage.metadata.tables["effects"]
    async with storage.engine.connect() as conn:
        rows = (await conn.execute(select(effects.c.sequence).order_by(effects.c.n))).all()
    return [r[0] for r in rows]


def test_the_rule() -> None:
    assert classify(3, 3) is Position.DONE
    assert classify(4, 3) is Position.NEXT
    assert classify(6, 3) is Position.AHEAD
    assert is_sequenced("samverkan.norra.upstream")
    assert is_sequenced("samverkan.norra.downstream")
    assert not is_sequenced("samverkan.norra.intake")
    assert not is_sequenced("samverkan.norra.upstream.dlq")


async def test_events_ahead_of_a_gap_are_held_and_applied_in_order(storage: Storage) -> None:
    consumer = _consumer(storage)
    envs = {n: _env(n) for n in range(1, 6)}
    for offset, n in enumerate([3, 5, 1, 4, 2]):
        await consumer.process(_rec(envs[n], offset))
    assert await _applied(storage) == [1, 2, 3, 4, 5]
    assert consumer.outcome.held == 3  # 3, 5 and 4 arrived early
    async with storage.engine.connect() as conn:
        assert await gaps(conn, storage.progress, storage.held, "test") == []


async def test_a_gap_is_reported_while_it_lasts(storage: Storage) -> None:
    consumer = _consumer(storage)
    await consumer.process(_rec(_env(1), 0))
    await consumer.process(_rec(_env(4), 1))
    async with storage.engine.connect() as conn:
        [gap] = await gaps(conn, storage.progress, storage.held, "test")
    assert (gap.applied, gap.first_held, gap.held) == (1, 4, 1)
    assert await _applied(storage) == [1]


async def test_a_resent_copy_of_a_finished_event_has_no_effect(storage: Storage) -> None:
    consumer = _consumer(storage)
    one, two = _env(1), _env(2)
    for offset, env in enumerate([one, two, one, two, two]):
        await consumer.process(_rec(env, offset))
    assert await _applied(storage) == [1, 2]
    assert consumer.outcome.duplicates == 3


async def test_a_poison_event_in_the_stream_does_not_stop_it(storage: Storage) -> None:
    consumer = _consumer(storage, refuse={2})
    sink = consumer.dead_letters
    assert isinstance(sink, ListSink)
    for offset, n in enumerate([3, 2, 1]):
        await consumer.process(_rec(_env(n), offset))
    assert await _applied(storage) == [1, 3]
    assert [t for t, _ in sink.sent] == [f"{TOPIC}.dlq"]


async def test_an_operator_replay_applies_a_dead_lettered_event_once(storage: Storage) -> None:
    refuse = {1}
    consumer = _consumer(storage, refuse=refuse)
    env = _env(1)
    await consumer.process(_rec(env, 0))
    await consumer.process(_rec(env, 1))  # a redelivery of the dead letter: skipped
    assert await _applied(storage) == []
    refuse.clear()  # "after a fix"
    await consumer.process(_rec(env, 2, [(REPLAY_HEADER, b"1")]))
    await consumer.process(_rec(env, 3, [(REPLAY_HEADER, b"1")]))
    assert await _applied(storage) == [1]


async def test_events_without_a_sequence_are_applied_as_they_come(storage: Storage) -> None:
    consumer = _consumer(storage)
    await consumer.process(_rec(escalation(), 0))
    assert await _applied(storage) == [None]


# A batch (what the broker hands over at once) is applied in one transaction.


async def test_a_batch_out_of_order_across_partitions_is_applied_in_order_without_holding(
    storage: Storage,
) -> None:
    consumer = _consumer(storage)
    envs = {n: _env(n) for n in range(1, 6)}
    await consumer.process_batch([_rec(envs[n], o) for o, n in enumerate([3, 1, 2, 5, 4])])
    assert await _applied(storage) == [1, 2, 3, 4, 5]
    assert (consumer.outcome.applied, consumer.outcome.held) == (5, 0)


async def test_what_lies_beyond_a_gap_in_a_batch_is_held_until_the_gap_closes(
    storage: Storage,
) -> None:
    consumer = _consumer(storage)
    envs = {n: _env(n) for n in range(1, 6)}
    await consumer.process_batch([_rec(envs[n], o) for o, n in enumerate([1, 5, 2, 4])])
    assert await _applied(storage) == [1, 2]
    assert consumer.outcome.held == 2
    await consumer.process_batch([_rec(envs[3], 10), _rec(envs[4], 11)])
    assert await _applied(storage) == [1, 2, 3, 4, 5]
    assert consumer.outcome.released == 1  # 5, read back into the batch that closed the gap
    async with storage.engine.connect() as conn:
        assert await gaps(conn, storage.progress, storage.held, "test") == []


async def test_a_batch_of_redeliveries_has_no_second_effect(storage: Storage) -> None:
    consumer = _consumer(storage)
    one, two, three = _env(1), _env(2), _env(3)
    loose = escalation()
    await consumer.process_batch([_rec(one, 0), _rec(two, 1), _rec(loose, 2)])
    await consumer.process_batch(
        [_rec(e, o) for o, e in enumerate([two, one, three, three, loose, loose], start=3)]
    )
    assert await _applied(storage) == [1, 2, None, 3]
    assert consumer.outcome.duplicates == 5


async def test_a_refused_event_in_a_batch_is_dead_lettered_and_the_rest_applied(
    storage: Storage,
) -> None:
    consumer = _consumer(storage, refuse={2})
    sink = consumer.dead_letters
    assert isinstance(sink, ListSink)
    await consumer.process_batch([_rec(_env(n), o) for o, n in enumerate([1, 2, 3])])
    assert await _applied(storage) == [1, 3]
    assert [t for t, _ in sink.sent] == [f"{TOPIC}.dlq"]


async def test_a_malformed_record_in_a_batch_is_dead_lettered_and_the_rest_applied(
    storage: Storage,
) -> None:
    consumer = _consumer(storage)
    sink = consumer.dead_letters
    assert isinstance(sink, ListSink)
    bad = FakeRecord(TOPIC, 0, 1, b"k", b"{not json", [])
    await consumer.process_batch([_rec(_env(1), 0), bad, _rec(_env(2), 2)])
    assert await _applied(storage) == [1, 2]
    assert [(t, dict(r.headers)["dlq-reason"]) for t, r in sink.sent] == [
        (f"{TOPIC}.dlq", b"invalid-envelope")
    ]
