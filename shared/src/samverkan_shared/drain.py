"""A background loop that drains a table: woken by commits, polling rarely, never dying."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from samverkan_shared.logs import get_logger

__all__ = ["DrainLoop", "backoff_delay", "retry_until_done"]

log = get_logger(__name__)
T = TypeVar("T")


def backoff_delay(attempt: int, *, base: float = 0.2, cap: float = 10.0) -> float:
    """Exponential backoff with jitter (half to full), capped."""
    return min(cap, base * 2.0**attempt) * (0.5 + random.random() / 2)


async def retry_until_done(op: Callable[[], Awaitable[T]], what: str, cap: float = 10.0) -> T:
    """Run op until it succeeds; each failure is logged and waited out with backoff."""
    attempt = 0
    while True:
        try:
            return await op()
        except Exception as exc:  # the caller decided every failure here is transient
            attempt += 1
            delay = backoff_delay(attempt, cap=cap)
            log.warning(
                f"{what} failed, retrying", attempt=attempt, delay=round(delay, 2), error=repr(exc)
            )
            await asyncio.sleep(delay)


class DrainLoop:
    """Calls ``step`` until it reports nothing left, then sleeps until woken or ``idle_poll``.

    With ``batch``, a step that handled fewer than ``batch`` emptied the table: the loop
    sleeps without asking once more (a commit meanwhile has woken it already).
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        idle_poll: float,
        batch: int | None = None,
    ) -> None:
        self.name = name
        self.step = step
        self.idle_poll = idle_poll
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run the next step now (called after a commit that added work)."""
        self._wake.set()

    async def run(self) -> None:
        """Forever; a failing step (broker or database away) is retried with backoff."""
        attempt = 0
        while True:
            try:
                handled = await self.step()
                attempt = 0
            except Exception as exc:  # never lose the loop: the work stays in the table
                attempt += 1
                delay = backoff_delay(attempt, base=0.1, cap=5.0)
                log.warning(f"{self.name} failed, retrying", error=repr(exc), delay=round(delay, 2))
                await asyncio.sleep(delay)
                continue
            if handled == 0 or (self.batch is not None and handled < self.batch):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_poll)
                self._wake.clear()
