"""The sink puts our wire records on the broker as they are (real FastStream broker, Tansu).

``BrokerSink`` reaches past ``broker.publish`` to the aiokafka producer FastStream started;
if a FastStream release moved it, this is the test that says so.
"""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer

from samverkan_shared.envelope import KafkaRecord
from samverkan_shared.kafka import BrokerSink, build_broker, ensure_topics
from samverkan_shared.settings import KafkaSettings
from samverkan_shared.topics import Direction, TopicSpec


def _record(i: int) -> KafkaRecord:
    headers = [("ce_id", f"event-{i}".encode()), ("content-type", b"application/json")]
    return KafkaRecord(key=b"issue-1", value=f'{{"n": {i}}}'.encode(), headers=headers)


async def _read(bootstrap: str, topic: str, n: int) -> list[KafkaRecord]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        got: list[KafkaRecord] = []
        while len(got) < n:
            batch = await consumer.getmany(timeout_ms=5_000)
            assert batch, f"only {len(got)} of {n} records arrived"
            for records in batch.values():
                got += [KafkaRecord(r.key, r.value, list(r.headers)) for r in records]
        return got
    finally:
        await consumer.stop()


async def test_records_arrive_with_exactly_their_key_value_and_headers(bootstrap: str) -> None:
    topic = f"sink-test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, 1, 60_000, "test", Direction.CONTROL)])
    broker = build_broker(KafkaSettings(kafka_bootstrap_servers=bootstrap), "sink-test")
    await broker.start()
    try:
        sink = BrokerSink(broker)
        sent = [_record(i) for i in range(5)]
        assert await sink.send_all([(topic, r) for r in sent[:4]]) == 4
        await sink.send(topic, sent[4])
    finally:
        await broker.stop()

    # In order, and nothing added: no correlation id or content type of FastStream's own.
    assert await _read(bootstrap, topic, 5) == sent


async def test_the_producer_batches_as_the_settings_say(bootstrap: str) -> None:
    """A drain's records of a topic go in one produce request, not one per 16 KiB (aiokafka's
    default): the setting must reach the producer FastStream builds."""
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    broker = build_broker(settings, "sink-batch-test")
    await broker.start()
    try:
        producer = BrokerSink(broker)._producer()
        assert producer._message_accumulator._batch_size == settings.kafka_producer_batch_bytes
        assert settings.kafka_producer_batch_bytes == 256 * 1024
    finally:
        await broker.stop()
