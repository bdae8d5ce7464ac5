"""An idle consumer fetches at the idle pace, a busy one at the busy pace (real aiokafka, Tansu).

The fetch wait is a field of aiokafka's fetcher; if a new aiokafka renamed it, pacing would
silently stop working — this test is what notices.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer

from samverkan_shared.pace import Pace


@dataclass
class _Subscriber:
    """The two things Pace touches on a FastStream batch subscriber."""

    consumer: Any
    batch_timeout_ms: int = 10


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
