"""Whether something made while a batch was handled keeps that batch's context alive.

A consumer batch is handled in a context of its own, and FastStream keeps the message (its
records) in a context variable. An object that lives on (a timer, a pipe, a cached statement)
and was made in that context keeps a copy of it, and so the batch's records, as long as it
lives.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref
from collections.abc import Awaitable, Callable

__all__ = ["outlives_its_batch"]


class _Batch:
    """Stands for what a batch's context holds."""


_BATCH: contextvars.ContextVar[_Batch] = contextvars.ContextVar("batch")


async def outlives_its_batch(work: Callable[[], Awaitable[object]]) -> bool:
    """Run ``work`` in a task whose context holds a batch; whether the batch is still alive
    once the task is done and dropped (something ``work`` made kept the context)."""
    batch = _Batch()
    gone = weakref.ref(batch)

    async def in_batch(held: _Batch) -> None:
        _BATCH.set(held)
        await work()

    task = asyncio.create_task(in_batch(batch))
    await task
    del task, batch
    await asyncio.sleep(0)  # the loop lets go of the finished task
    gc.collect()
    return gone() is not None
