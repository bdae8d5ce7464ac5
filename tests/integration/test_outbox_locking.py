"""Units of work publishing to the same topics in different orders never deadlock (PostgreSQL).

Numbering an event locks its topic's counter row until the commit. A national batch writes
receipts to the regions it heard from, in the order it heard them, while an assessment is
published to every region: under ``make bench`` load the two deadlocked, and PostgreSQL
aborted one of them (the HTTP request answered 500).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import MetaData, select

from samverkan_shared.db import make_engine
from samverkan_shared.envelope import Envelope, region_source
from samverkan_shared.uow import Storage
from tests.infra import escalated, scratch_database

TOPICS = [f"samverkan.test-{i}.downstream" for i in range(6)]
ROUNDS = 20


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with scratch_database("outbox-locking") as url:
        yield url


@pytest.fixture
async def storage(dsn: str) -> AsyncIterator[Storage]:
    s = Storage(make_engine(dsn, pool_size=4), MetaData())
    await s.create_schema()
    try:
        yield s
    finally:
        await s.engine.dispose()


def _event() -> Envelope:
    return Envelope.wrap(escalated("norra"), region_source("norra"))


async def _publish(storage: Storage, topics: list[str]) -> None:
    async with storage.unit_of_work() as uow:
        for topic in topics:
            uow.emit(topic, _event())
        await uow.commit()


async def test_opposite_orders_all_commit_with_gapless_numbers(storage: Storage) -> None:
    for _ in range(ROUNDS):
        await asyncio.gather(
            _publish(storage, TOPICS),
            _publish(storage, list(reversed(TOPICS))),
            _publish(storage, TOPICS[3:] + TOPICS[:3]),
        )
    ob = storage.outbox
    async with storage.engine.connect() as conn:
        rows = (await conn.execute(select(ob.c.topic, ob.c.sequence))).all()
    for topic in TOPICS:
        numbers = sorted(seq for t, seq in rows if t == topic)
        assert numbers == list(range(1, 3 * ROUNDS + 1)), topic
