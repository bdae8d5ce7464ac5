"""A subscriber's batches in two stages: the next one is decoded while the last one commits.

A batch costs the event loop its decoding and signature checks (no database), then its
transaction, much of which is waiting for PostgreSQL. One batch after the other, the loop
sat idle through those waits; here batch N+1 is decoded while batch N's transaction runs,
and applied only once batch N is applied and its offsets committed. Transactions still run
one at a time and in order, so the ordering rule and the inbox see what they saw before.

Each batch commits its own offsets (the next offset of each of its partitions), never the
consumer's position: by then the consumer has already fetched the next batch, and
committing that before it is applied would lose it in a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import TopicPartition

from samverkan_shared.batching import Decoded
from samverkan_shared.consumer import EventConsumer, IncomingRecord
from samverkan_shared.logs import get_logger

__all__ = ["BatchPipeline", "Commit", "next_offsets"]

log = get_logger(__name__)

Commit = Callable[[dict[TopicPartition, int]], Awaitable[None]]
"""Commits the given next offsets of the consumer group (aiokafka's ``commit(offsets)``)."""


def next_offsets(records: Sequence[IncomingRecord]) -> dict[TopicPartition, int]:
    """What to commit once these records are applied: after the last of each partition."""
    out: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        out[tp] = max(out.get(tp, 0), record.offset + 1)
    return out


class BatchPipeline:
    """Takes a subscriber's batches in order; at most one is being applied at a time."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer
        self._applying: asyncio.Task[None] | None = None
        self._closing = False

    async def take(
        self, records: Sequence[IncomingRecord], commit: Commit, *, behind: int = 0
    ) -> None:
        """Decode this batch now; returns once the batch before it is applied and committed,
        with this one handed to a task that applies it (and then commits its offsets).

        ``behind``: records waiting in the partitions' logs beyond this batch.
        """
        if self._closing:  # neither applied nor committed: read again after the restart
            return
        decoded = await self.consumer.decode_batch(records, behind=behind)
        await self._wait()
        self._applying = asyncio.create_task(
            self._apply(records, decoded, commit), name=f"{self.consumer.name}: apply"
        )

    async def _apply(
        self, records: Sequence[IncomingRecord], decoded: Sequence[Decoded | None], commit: Commit
    ) -> None:
        await self.consumer.apply_decoded(records, decoded)
        await commit(next_offsets(records))

    async def _wait(self) -> None:
        """Until the batch being applied is done; its failure is raised here.

        Shielded: a subscriber cancelled while it waits (the broker stopping) does not cancel
        a transaction half way; ``close`` waits for it.
        """
        task = self._applying
        if task is None:
            return
        try:
            await asyncio.shield(task)
        finally:
            if task.done():
                self._applying = None

    async def close(self, timeout: float = 10.0) -> None:
        """Take no more batches; wait for the one being applied to commit."""
        self._closing = True
        with contextlib.suppress(TimeoutError):
            try:
                await asyncio.wait_for(self._wait(), timeout)
            except Exception as exc:  # applying retries every failure; this is a bug's
                log.error("the last batch failed", consumer=self.consumer.name, error=repr(exc))
        if self._applying is not None and not self._applying.done():
            log.warning("a batch was still being applied at shutdown", consumer=self.consumer.name)
            self._applying.cancel()  # rolled back, not committed: read again after the restart
