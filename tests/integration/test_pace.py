"""An idle consumer fetches at the idle pace, a busy one at the busy pace (real aiokafka, Tansu);
its poll hands over records as soon as they are fetched.

The fetch wait is a field of aiokafka's fetcher; if a new aiokafka renamed it, pacing would
silently stop working — this test is what notices.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from samverkan_shared.kafka import ensure_topics
from samverkan_shared.pace import Pace, wait_for_batches
from samverkan_shared.topics import Direction, TopicSpec


@dataclass
class _Subscriber:
    """The two things Pace touches on a FastStream batch subscriber."""

    consumer: Any
    batch_timeout_ms: int = 10
    max_records: int = 250


async def test_the_waits_follow_the_traffic(bootstrap: str) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=25)
    await consumer.start()
    try:
        sub = _Subscriber(consumer)
        pace = Pace(sub, busy_fetch_ms=25, idle_fetch_ms=200, busy_poll_ms=10, idle_poll_ms=100)
        pace.idle_after = 0.2
        pace.busy()
        pace.tick()
        assert (consumer._fetcher._fetch_max_wait_ms, sub.batch_timeout_ms) == (25, 10)

        await asyncio.sleep(0.3)  # nothing came
        pace.tick()
        assert (consumer._fetcher._fetch_max_wait_ms, sub.batch_timeout_ms) == (200, 100)

        pace.busy()  # a batch
        assert (consumer._fetcher._fetch_max_wait_ms, sub.batch_timeout_ms) == (25, 10)
    finally:
        await consumer.stop()


async def test_a_consumer_created_later_gets_the_current_pace(bootstrap: str) -> None:
    sub = _Subscriber(None)
    pace = Pace(sub, busy_fetch_ms=25, idle_fetch_ms=200, busy_poll_ms=10, idle_poll_ms=100)
    pace.idle_after = 0.0
    pace.tick()  # idle, and no consumer yet: nothing to set on it
    sub.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=25)
    await sub.consumer.start()  # FastStream re-created it with the configured (busy) wait
    try:
        pace.tick()
        assert sub.consumer._fetcher._fetch_max_wait_ms == 200
        await asyncio.sleep(0.1)  # aiokafka cannot stop a consumer whose tasks never ran
    finally:
        await sub.consumer.stop()


async def test_a_poll_hands_over_records_when_fetched_not_when_its_wait_ends(
    bootstrap: str,
) -> None:
    topic = f"pace-test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, 1, 60_000, "test", Direction.CONTROL)])
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=25
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await consumer.start()
    await producer.start()
    try:
        sub = _Subscriber(consumer, batch_timeout_ms=1_000)
        poll = wait_for_batches(sub)
        began = time.monotonic()
        assert await poll(consumer) == ()  # nothing yet: empty after its wait, no error
        # and no sleep after it (FastStream's own poll then sleeps as long again: 2 s)
        assert 0.9 <= time.monotonic() - began < 1.8

        sub.batch_timeout_ms = 20_000  # a record must not wait for this
        waiting = asyncio.create_task(poll(consumer))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await producer.send_and_wait(topic, b"escalated", key=b"issue")
        records = await asyncio.wait_for(waiting, timeout=10)
        assert [(r.key, r.value) for r in records] == [(b"issue", b"escalated")]
    finally:
        await producer.stop()
        await consumer.stop()
