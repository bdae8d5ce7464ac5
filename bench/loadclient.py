"""A small HTTP/1.1 client for open-loop load: keep-alive connections per origin, O(1) each.

httpx (httpcore) scans its whole pool and every queued request on each request; with
thousands of requests in flight at 1,000/s the load generator itself became the
bottleneck (it spent minutes in ``_assign_requests_to_connections``). This client takes an
idle connection or opens one — at most ``per_origin`` at once, the rest wait their turn,
and that wait counts in the measured latency, as it would for a real caller.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HttpError", "LoadClient"]

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HttpError(Exception):
    """The request failed: no connection, a timeout, a malformed or non-2xx answer."""


class Closed(Exception):
    """The peer had closed the connection: nothing was answered."""


class LoadClient:
    """POST JSON with a bearer token; returns the decoded JSON body of a 2xx answer."""

    def __init__(self, token: str, per_origin: int = 256, timeout: float = 30.0) -> None:
        self.token = token
        self.timeout = timeout
        self.per_origin = per_origin
        self.idle: dict[tuple[str, int], list[Conn]] = defaultdict(list)
        self.slots: dict[tuple[str, int], asyncio.Semaphore] = {}

    async def post_json(self, url: str, body: dict[str, Any]) -> Any:
        parts = urlsplit(url)
        origin = (parts.hostname or "127.0.0.1", parts.port or 80)
        slot = self.slots.setdefault(origin, asyncio.Semaphore(self.per_origin))
        payload = json.dumps(body).encode()
        head = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {origin[0]}:{origin[1]}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        async with slot:
            reused = self.idle[origin].pop() if self.idle[origin] else None
            try:
                status, data, keep, conn = await self._over(origin, reused, head + payload)
            except Closed:
                # The server closed the kept-alive connection before it read the request
                # (its keep-alive timeout): the request was not handled; send it afresh.
                status, data, keep, conn = await self._over(origin, None, head + payload)
            if keep:
                self.idle[origin].append(conn)
            else:
                conn[1].close()
        if not 200 <= status < 300:
            raise HttpError(f"{url}: HTTP {status}: {data[:200]!r}")
        return json.loads(data)

    async def _over(
        self, origin: tuple[str, int], conn: Conn | None, request: bytes
    ) -> tuple[int, bytes, bool, Conn]:
        """One exchange over ``conn`` (or a new connection); Closed if a reused one was shut."""
        try:
            if conn is None:
                fresh = await asyncio.wait_for(asyncio.open_connection(*origin), self.timeout)
                return (
                    *await asyncio.wait_for(self._exchange(fresh, request), self.timeout),
                    fresh,
                )
            return (*await asyncio.wait_for(self._exchange(conn, request), self.timeout), conn)
        except Closed:
            if conn is None:
                raise HttpError(f"{origin}: closed without an answer") from None
            conn[1].close()
            raise
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            if conn is not None:
                conn[1].close()
            raise HttpError(f"{origin}: {type(exc).__name__}: {exc}") from exc

    @staticmethod
    async def _exchange(conn: Conn, request: bytes) -> tuple[int, bytes, bool]:
        reader, writer = conn
        writer.write(request)
        await writer.drain()
        first = (await reader.readline()).split()
        if not first:
            raise Closed
        status = int(first[1])
        length, keep = None, True
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value == "close":
                keep = False
            elif name == "transfer-encoding":
                raise ValueError(f"transfer-encoding {value} not supported")
        if length is None:
            raise ValueError("answer without Content-Length")
        return status, await reader.readexactly(length), keep

    async def close(self) -> None:
        for conns in self.idle.values():
            for _reader, writer in conns:
                writer.close()
        self.idle.clear()
