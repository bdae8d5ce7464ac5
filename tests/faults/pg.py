"""Connections to the shared PostgreSQL server, patient when it is full."""

from __future__ import annotations

import asyncio

import asyncpg

__all__ = ["connect"]


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection, waiting while the shared server is at its connection limit."""
    for _ in range(60):
        try:
            return await asyncpg.connect(dsn)
        except asyncpg.TooManyConnectionsError:
            await asyncio.sleep(1.0)
    return await asyncpg.connect(dsn)
