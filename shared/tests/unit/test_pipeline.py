"""The batch pipeline: the next batch decoded while one is applied; each commits its own offsets."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import TopicPartition

from samverkan_shared.batching import Decoded
from samverkan_shared.consumer import EventConsumer, IncomingRecord
from samverkan_shared.contracts import Event
from samverkan_shared.envelope import Envelope, to_kafka
from samverkan_shared.pipeline import BatchPipeline
from samverkan_shared.uow import Storage, UnitOfWork

from .fakes import FakeRecord, ListSink, effects_count, escalation

TOPIC = "samverkan.norra.upstream"


def _batch(partition_offsets: list[tuple[int, int]]) -> list[FakeRecord]:
    out = []
    for partition, offset in partition_offsets:
        rec = to_kafka(escalation())
        out.append(FakeRecord(TOPIC, partition, offset, rec.key, rec.value, rec.headers))
    return out


class Recorder:
    """The consumer's commits, in order, and the batches it decoded."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.decoded = 0
        self.two_decoded = asyncio.Event()
        decode = consumer.decode_batch

        async def counting(
            records: Sequence[IncomingRecord], *, behind: int = 0
        ) -> list[Decoded | None]:
            out = await decode(records, behind=behind)
            self.decoded += 1
            if self.decoded == 2:
                self.two_decoded.set()
            return out

        consumer.decode_batch = counting  # type: ignore[method-assign]

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)


async def test_the_next_batch_is_decoded_while_one_is_applied_and_commits_after_it(
    storage: Storage,
) -> None:
    gate = asyncio.Event()
    effects = storage.metadata.tables["effects"]

    async def handle(uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        await gate.wait()  # the first batch's transaction waits, as on a slow database
        await uow.conn.execute(effects.insert().values(event_id=env.id))

    consumer = EventConsumer("test", storage, handle, ListSink())
    seen = Recorder(consumer)
    pipeline = BatchPipeline(consumer)
    first = _batch([(0, 10), (1, 4), (0, 11), (1, 5)])
    second = _batch([(0, 12), (1, 6), (2, 0)])

    # Returns with its transaction started, not applied (a pipeline that applied it first
    # would wait on the gate here: the time-out fails it).
    await asyncio.wait_for(pipeline.take(first, seen.commit), 5)
    taking = asyncio.create_task(pipeline.take(second, seen.commit))
    await asyncio.wait_for(seen.two_decoded.wait(), 5)
    # The second batch is decoded; the first is neither applied nor committed yet, and the
    # second waits for it.
    assert (await effects_count(storage), seen.commits, taking.done()) == (0, [], False)

    gate.set()
    await taking
    assert seen.commits == [{TopicPartition(TOPIC, 0): 12, TopicPartition(TOPIC, 1): 6}]
    assert await effects_count(storage) == 4

    await pipeline.close()  # waits for the second batch: applied, then committed
    assert seen.commits[1] == {
        TopicPartition(TOPIC, 0): 13,
        TopicPartition(TOPIC, 1): 7,
        TopicPartition(TOPIC, 2): 1,
    }
    assert await effects_count(storage) == 7


async def test_a_batch_after_close_is_neither_applied_nor_committed(storage: Storage) -> None:
    effects = storage.metadata.tables["effects"]

    async def handle(uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        await uow.conn.execute(effects.insert().values(event_id=env.id))

    consumer = EventConsumer("test", storage, handle, ListSink())
    seen = Recorder(consumer)
    pipeline = BatchPipeline(consumer)
    await pipeline.take(_batch([(0, 0), (0, 1)]), seen.commit)
    await pipeline.close()
    await pipeline.take(_batch([(0, 2)]), seen.commit)  # the broker stopping meanwhile

    assert seen.commits == [{TopicPartition(TOPIC, 0): 2}]
    assert await effects_count(storage) == 2
