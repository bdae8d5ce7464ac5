"""How often a consumer asks the broker for records: quickly while they flow, slowly when idle.

A consumer fetches in a loop and the broker may hold each fetch for ``fetch_max_wait_ms``.
Apache Kafka answers a held fetch as soon as a record arrives. Tansu (the local and test
broker) does for a fetch of one partition, whatever the wait; a fetch of several partitions
it answered at once at 25 ms but held for much of a longer wait (``python -m
bench.fetch_wait``: p90 37-78 ms at 100 ms, 223-269 ms at 300 ms). So on Tansu the wait is
also what a record can wait on its way into the national council (six upstream topics) and
notifications; and in the whole network at 50 escalations a second a longer busy wait
lengthened both paths, the one-partition regional hop included (README, fifteenth round).
Short waits are not free: every fetch costs the broker and the service CPU. Measured on
the eight services of ``make run`` at 25 ms and nothing to do: Tansu used 72 % of a core
and each service about 8 % — most of a two-core machine, idle.

So a consumer fetches with the short (busy) wait while batches come, and after ``idle_after``
seconds without one it fetches with the long (idle) wait; its next batch makes it quick
again. Only the first record after a quiet spell waits longer (up to the idle wait, twice
on Tansu); the flow after it does not.

The fetch wait lives on aiokafka's fetcher (``_fetch_max_wait_ms``, read for every fetch
request it builds); FastStream's idle poll is the batch subscriber's ``batch_timeout_ms``.
Both are set again on every tick, so a consumer FastStream re-created (after a broker was
lost) is paced too. ``tests/integration/test_pace.py`` fails if aiokafka renames the field.

The poll itself is ``wait_for_batches``: FastStream 0.7's batch poll waits
``batch_timeout_ms`` for records and, when none came, sleeps as long again — a record
fetched during that sleep waits it out, on every consuming hop, and an idle consumer wakes
50 times a second doing it. aiokafka's ``getmany`` returns the moment a fetch brings
records, so waiting in it alone loses nothing and lets the poll wait long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

__all__ = ["Pace", "wait_for_batches"]


def wait_for_batches(
    subscriber: Any,
) -> Callable[[AIOKafkaConsumer], Coroutine[Any, Any, tuple[ConsumerRecord[Any, Any], ...]]]:
    """A FastStream batch subscriber's ``get_msg`` without the sleep after an empty poll.

    It waits up to the subscriber's current ``batch_timeout_ms`` (which ``Pace`` sets) and
    returns at once when records come; FastStream's loop skips an empty result.
    """

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[Any, Any], ...]:
        batches = await consumer.getmany(
            timeout_ms=subscriber.batch_timeout_ms, max_records=subscriber.max_records
        )
        return tuple(chain.from_iterable(batches.values()))

    return get_msg


@dataclass
class Pace:
    """The waits of one FastStream batch subscriber, switched by how busy it is."""

    subscriber: Any
    busy_fetch_ms: int
    idle_fetch_ms: int
    busy_poll_ms: int
    idle_poll_ms: int
    idle_after: float = 2.0
    idle: bool = False
    last_batch: float = field(default_factory=time.monotonic)

    def busy(self) -> None:
        """A batch arrived: fetch with the short wait from now on."""
        self.last_batch = time.monotonic()
        if self.idle:
            self.idle = False
            self.apply()

    def tick(self) -> None:
        """Slow down after ``idle_after`` without a batch; (re)apply the current waits."""
        if not self.idle and time.monotonic() - self.last_batch > self.idle_after:
            self.idle = True
        self.apply()

    @property
    def fetch_ms(self) -> int:
        return self.idle_fetch_ms if self.idle else self.busy_fetch_ms

    def apply(self) -> None:
        self.subscriber.batch_timeout_ms = self.idle_poll_ms if self.idle else self.busy_poll_ms
        fetcher = getattr(getattr(self.subscriber, "consumer", None), "_fetcher", None)
        if fetcher is not None:  # None until the subscriber has started
            fetcher._fetch_max_wait_ms = self.fetch_ms

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.idle_after / 4)
            self.tick()
