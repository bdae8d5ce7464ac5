"""A service keeps the PostgreSQL connections it opened, through repeated peaks.

With five pooled and five "overflow" connections, every connection beyond five was closed
when it came back, and the next peak opened it again: a backend forked, a handshake and the
statements prepared again, on the request that needed it (up to 20 new sessions per region
in 15 s at 200 escalations a second). The settings' defaults keep every connection opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import MetaData, text

from samverkan_shared.db import make_engine
from samverkan_shared.settings import DatabaseSettings
from samverkan_shared.uow import Storage
from tests.infra import scratch_database

PEAK = 14
"""Units of work at once: more than the pool holds, so some wait for a connection."""


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with scratch_database("connection-pool") as url:
        yield url


async def _backend(storage: Storage) -> int:
    async with storage.unit_of_work() as uow:
        pid = (await uow.conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await uow.conn.execute(text("SELECT pg_sleep(0.05)"))  # held, as a request holds it
        await uow.commit()
    return int(pid)


async def test_peaks_reuse_the_connections_the_first_peak_opened(dsn: str) -> None:
    settings = DatabaseSettings(database_url=dsn)
    engine = make_engine(
        dsn,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    storage = Storage(engine, MetaData())
    try:  # four peaks, one after the other
        waves = [
            set(await asyncio.gather(*(_backend(storage) for _ in range(PEAK)))) for _ in range(4)
        ]
    finally:
        await engine.dispose()
    assert len(waves[0]) <= settings.database_pool_size + settings.database_max_overflow
    for later in waves[1:]:
        assert later <= waves[0], f"a later peak opened {len(later - waves[0])} new connections"
