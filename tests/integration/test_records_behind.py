"""How far behind a consumer is, read from the broker's high watermarks (Tansu).

A consumer this far behind has its signatures checked in the helper process
(``samverkan_shared.sigcheck``): the figure must be the log's, not a guess, and it must count
every partition the consumer reads, not only the one a batch came from.
"""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from samverkan_shared.kafka import ensure_topics, records_behind
from samverkan_shared.topics import Direction, TopicSpec


async def test_the_backlog_is_every_record_not_taken_in_every_partition(bootstrap: str) -> None:
    topic = f"behind-test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, 2, 60_000, "test", Direction.CONTROL)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition in (0, 1):
            for i in range(10):
                await producer.send_and_wait(topic, f"{i}".encode(), partition=partition)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        taken = 0
        seen: list[tuple[set[int], int, int]] = []  # (the batch's partitions, backlog, not taken)
        while taken < 20:
            batch = await consumer.getmany(timeout_ms=5_000, max_records=3)
            assert batch, f"only {taken} of 20 records arrived"
            records = [r for rs in batch.values() for r in rs]
            taken += len(records)
            seen.append(({r.partition for r in records}, records_behind(consumer), 20 - taken))
    finally:
        await consumer.stop()
    # The consumer is handed one partition's records at a time; the records waiting in the
    # other count as well. After 0-2 of one partition: 7 there and 10 in the other.
    assert seen[0][0] in ({0}, {1}), seen
    assert [(waiting, left) for _, waiting, left in seen] == [(left, left) for *_, left in seen]
    assert seen[0][1] == 17
    assert seen[-1][1:] == (0, 0)
