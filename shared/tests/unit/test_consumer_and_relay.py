"""The inbox, the dead letter and the outbox relay, on a SQLite file with a fake broker."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import select

from samverkan_shared.consumer import EventConsumer
from samverkan_shared.contracts import Event
from samverkan_shared.envelope import Envelope, KafkaRecord, from_kafka, to_kafka
from samverkan_shared.errors import Rejected
from samverkan_shared.relay import OutboxRelay
from samverkan_shared.signing import SignatureRejected
from samverkan_shared.uow import Storage, UnitOfWork

from .fakes import FakeRecord, ListSink, effects_count, escalation

TOPIC = "samverkan.norra.upstream"


def _record(env: Envelope, offset: int = 0) -> FakeRecord:
    rec = to_kafka(env)
    return FakeRecord(TOPIC, 0, offset, rec.key, rec.value, rec.headers)


def _handler(storage: Storage, failures: list[Exception] | None = None):  # type: ignore[no-untyped-def]
    async def handle(uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        if failures:
            raise failures.pop(0)
        await uow.conn.execute(storage.metadata.tables["effects"].insert().values(event_id=env.id))

    return handle


async def test_a_redelivered_event_has_one_effect(storage: Storage) -> None:
    consumer = EventConsumer("test", storage, _handler(storage), ListSink())
    env = escalation()
    await consumer.process(_record(env, 0))
    await consumer.process(_record(env, 1))
    assert await effects_count(storage) == 1
    assert (consumer.outcome.applied, consumer.outcome.duplicates) == (1, 1)


async def test_a_transient_failure_is_retried_and_applied_once(storage: Storage) -> None:
    failures: list[Exception] = [ConnectionError("database away"), ConnectionError("still away")]
    consumer = EventConsumer(
        "test", storage, _handler(storage, failures), ListSink(), max_backoff=0.01
    )
    await consumer.process(_record(escalation()))
    assert await effects_count(storage) == 1
    assert consumer.outcome.retries == 2
    assert consumer.outcome.dead_lettered == 0


async def test_a_refused_event_is_dead_lettered_with_its_reason_and_rolled_back(
    storage: Storage,
) -> None:
    sink = ListSink()
    consumer = EventConsumer("test", storage, _handler(storage, [Rejected("no such issue")]), sink)
    env = escalation()
    await consumer.process(_record(env, 41))
    [(topic, letter)] = sink.sent
    headers = dict(letter.headers)
    assert topic == f"{TOPIC}.dlq"
    assert headers["dlq-reason"] == b"rejected"
    assert headers["dlq-error"] == b"no such issue"
    assert headers["dlq-offset"] == b"41"
    assert from_kafka(letter.key, letter.value, letter.headers).id == env.id  # replayable as is
    assert await effects_count(storage) == 0
    # The inbox row was rolled back with the effect: a replay after a fix is applied.
    consumer.handler = _handler(storage)
    await consumer.process(_record(env, 42))
    assert await effects_count(storage) == 1


async def test_a_forged_event_in_a_batch_is_dead_lettered_and_the_rest_applied(
    storage: Storage,
) -> None:
    envelopes = [escalation() for _ in range(24)]
    forged = envelopes[11]

    def verify(env: Envelope) -> None:
        if env.id == forged.id:
            raise SignatureRejected("ce_signature: does not match the content")

    sink = ListSink()
    consumer = EventConsumer("test", storage, _handler(storage), sink, verify=verify)
    await consumer.process_batch([_record(env, i) for i, env in enumerate(envelopes)])

    assert await effects_count(storage) == 23
    [(topic, letter)] = sink.sent
    assert topic == f"{TOPIC}.dlq"
    assert dict(letter.headers)["dlq-reason"] == b"bad-signature"
    assert from_kafka(letter.key, letter.value, letter.headers).id == forged.id


async def test_the_dead_letter_waits_for_the_broker(storage: Storage) -> None:
    sink = ListSink(fail_next=2)
    consumer = EventConsumer("test", storage, _handler(storage), sink, max_backoff=0.01)
    await consumer.process(FakeRecord(TOPIC, 0, 0, b"k", b"{}", [("ce_id", b"x")]))
    assert len(sink.sent) == 1
    assert dict(sink.sent[0][1].headers)["dlq-reason"] == b"invalid-envelope"


async def test_the_relay_marks_rows_sent_only_after_the_broker_acknowledged(
    storage: Storage,
) -> None:
    sink = ListSink(fail_next=1)
    relay = OutboxRelay(storage, sink)
    async with storage.unit_of_work() as uow:
        uow.emit(TOPIC, escalation())
        uow.emit(TOPIC, escalation())
        first, second = await uow.flush()
        await uow.commit()
    with pytest.raises(ConnectionError):
        await relay.drain_once()
    assert (await relay.backlog())[0] == 2
    assert await relay.drain_once() == 2
    assert [from_kafka(r.key, r.value, r.headers).id for _, r in sink.sent] == [first.id, second.id]
    assert [first.sequence, second.sequence] == [1, 2]
    assert (await relay.backlog()) == (0, None)


async def test_a_rolled_back_unit_of_work_leaves_no_event(storage: Storage) -> None:
    relay = OutboxRelay(storage, ListSink())
    with pytest.raises(RuntimeError):
        async with storage.unit_of_work() as uow:
            uow.emit(TOPIC, escalation())
            await uow.flush()
            raise RuntimeError("the state change failed")
    assert (await relay.backlog())[0] == 0
    async with storage.unit_of_work() as uow:
        uow.emit(TOPIC, escalation())
        [numbered] = await uow.flush()
        await uow.commit()
    assert numbered.sequence == 1  # the rolled-back number was not used: no gap


async def test_the_relay_wakes_on_commit_instead_of_polling(storage: Storage) -> None:
    sink = ListSink()
    relay = OutboxRelay(storage, sink, idle_poll=3600)  # a poll would never come in this test
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.05)  # the relay has drained nothing and is asleep
        async with storage.unit_of_work() as uow:
            uow.emit(TOPIC, escalation())
            await uow.commit()
        await asyncio.wait_for(sink.arrived.wait(), 5)
    finally:
        task.cancel()
        # Wait for it to stop: a relay cancelled mid-drain still holds a connection, and the
        # engine disposed under it left aiosqlite's close pending (the loop hung at teardown).
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert len(sink.sent) == 1


async def _rows_as_records(storage: Storage) -> list[tuple[str, KafkaRecord]]:
    """What the outbox table holds, as the records it stands for (in id order)."""
    ob = storage.outbox
    async with storage.engine.connect() as conn:
        rows = await conn.execute(
            select(ob.c.topic, ob.c.key, ob.c.value, ob.c.headers).order_by(ob.c.id)
        )
        return [
            (r.topic, KafkaRecord(r.key, r.value, [(k, v.encode()) for k, v in r.headers]))
            for r in rows
        ]


async def test_the_relay_sends_what_the_outbox_holds_from_memory_or_from_the_table(
    storage: Storage,
) -> None:
    relay = OutboxRelay(storage, sink := ListSink())
    # Another process on the same database (a second replica, the operator's CLI): its rows
    # are not in this relay's memory and must be read from the table.
    elsewhere = Storage(storage.engine, storage.metadata)
    for store in (storage, elsewhere, storage):
        async with store.unit_of_work() as uow:
            uow.emit(TOPIC, escalation())
            uow.emit("samverkan.sodra.upstream", escalation())
            await uow.commit()
    assert len(relay.written) == 4  # this process's two commits, not the other's
    assert await relay.drain_once() == 6
    assert sink.sent == await _rows_as_records(storage)
    assert len(relay.written) == 0  # handed over, not kept


async def test_records_forgotten_beyond_the_cap_are_read_back_in_order(storage: Storage) -> None:
    relay = OutboxRelay(storage, sink := ListSink())
    relay.written.cap = 2  # the broker was away while three commits were made
    ids = []
    for _ in range(3):
        async with storage.unit_of_work() as uow:
            uow.emit(TOPIC, escalation())
            [numbered] = await uow.flush()
            await uow.commit()
        ids.append(numbered.id)
    assert len(relay.written) == 2
    assert await relay.drain_once() == 3
    assert [from_kafka(r.key, r.value, r.headers).id for _, r in sink.sent] == ids
    assert sink.sent == await _rows_as_records(storage)


async def test_a_rolled_back_unit_of_work_leaves_nothing_for_the_relay(storage: Storage) -> None:
    relay = OutboxRelay(storage, sink := ListSink())
    with pytest.raises(RuntimeError):
        async with storage.unit_of_work() as uow:
            uow.emit(TOPIC, escalation())
            await uow.flush()
            raise RuntimeError("the state change failed")
    assert len(relay.written) == 0
    assert await relay.drain_once() == 0
    assert sink.sent == []
