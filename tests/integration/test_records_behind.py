"""How far behind a batch leaves its consumer, read from the broker's high watermarks (Tansu).

A consumer this far behind has its signatures checked in the helper process
(``samverkan_shared.sigcheck``): the figure must be the log's, not a guess.
"""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from samverkan_shared.kafka import ensure_topics, records_behind
from samverkan_shared.topics import Direction, TopicSpec


async def test_a_batch_knows_how_many_records_wait_behind_it(bootstrap: str) -> None:
    topic = f"behind-test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, 1, 60_000, "test", Direction.CONTROL)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"{i}".encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        seen: list[int] = []
        lags: list[int] = []
        while len(seen) < 10:
            batch = await consumer.getmany(timeout_ms=5_000, max_records=3)
            assert batch, f"only {len(seen)} of 10 records arrived"
            records = [r for rs in batch.values() for r in rs]
            seen += [r.offset for r in records]
            lags.append(records_behind(consumer, records))
    finally:
        await consumer.stop()
    # After offsets 0-2, seven wait; after 3-5, four; after 6-8, one; after 9, none.
    assert lags == [7, 4, 1, 0]
