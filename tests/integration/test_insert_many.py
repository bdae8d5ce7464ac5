"""Many rows in one COPY (PostgreSQL): the same rows an INSERT would write, in the same
transaction, in the given order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from samverkan_shared.db import COPY_FROM, UTCDateTime, insert_many, make_engine
from tests.infra import fresh_tables, scratch_database

META = MetaData()
ROWS = Table(
    "copied",
    META,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("blob", LargeBinary, nullable=False),
    Column("note", String(40)),
)
DEFAULTED = Table(
    "defaulted",
    META,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("attempts", Integer, nullable=False, default=7),
)


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with scratch_database("insert-many") as url:
        yield url


@pytest.fixture
async def engine(dsn: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(dsn)
    await fresh_tables(engine, META)
    try:
        yield engine
    finally:
        await engine.dispose()


def _rows(n: int) -> list[dict[str, Any]]:
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    return [
        {
            "name": f"rad {i}: åäö",
            "tags": ["a", {"n": i}],
            "at": at + timedelta(seconds=i),
            "blob": bytes([i % 256]) * 3,
            "note": None if i % 2 else "udda",
        }
        for i in range(n)
    ]


async def _stored(engine: AsyncEngine, table: Table) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(select(table).order_by(table.c.id))
        return [dict(r._mapping) for r in result]


@pytest.mark.parametrize("count", [COPY_FROM - 1, COPY_FROM, 300])
async def test_the_rows_read_back_as_written_in_order(engine: AsyncEngine, count: int) -> None:
    rows = _rows(count)
    async with engine.begin() as conn:
        await insert_many(conn, ROWS, rows)

    stored = await _stored(engine, ROWS)

    assert [{k: v for k, v in r.items() if k != "id"} for r in stored] == rows
    assert [r["id"] for r in stored] == sorted(r["id"] for r in stored)


async def test_a_copy_as_the_first_statement_rolls_back_with_its_transaction(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        await conn.begin()
        await insert_many(conn, ROWS, _rows(COPY_FROM * 2))
        await conn.rollback()

    assert await _stored(engine, ROWS) == []


async def test_a_table_with_python_defaults_gets_them(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await insert_many(conn, DEFAULTED, [{"name": f"n{i}"} for i in range(COPY_FROM * 2)])

    assert {r["attempts"] for r in await _stored(engine, DEFAULTED)} == {7}
