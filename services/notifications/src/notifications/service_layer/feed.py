"""Wakes the live feed streams of this process when a commit may have added items."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["FeedHub"]


class FeedHub:
    """Each stream waits on the current event; a commit sets it and starts a new one."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that recorded deliveries."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Until the next wake, or ``timeout`` (items written by another process)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
