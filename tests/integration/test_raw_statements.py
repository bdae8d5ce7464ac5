"""Statements sent to asyncpg itself (``db.fetch_raw``, ``db.execute_raw``) on PostgreSQL.

The hot statements of every request and batch bypass SQLAlchemy's statement machinery; these
tests hold them to what SQLAlchemy gave: they run in the caller's transaction (so a rollback
takes them back), an autocommit connection commits each at once, a refused row raises
SQLAlchemy's ``IntegrityError`` naming the constraint, and a connection that died is
invalidated rather than handed out again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from samverkan_shared.db import autocommit, execute_raw, fetch_raw, make_engine
from tests.infra import scratch_database

META = MetaData()
NOTES = Table(
    "notes",
    META,
    Column("id", Integer, primary_key=True),
    Column("text", String(40), nullable=False),
)
INSERT = "INSERT INTO notes (id, text) VALUES ($1, $2)"


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with scratch_database("raw-statements") as url:
        yield url


@pytest.fixture
async def engine(dsn: str) -> AsyncIterator[AsyncEngine]:
    made = make_engine(dsn, pool_size=1)  # one connection: a dead one must be replaced
    async with made.begin() as conn:
        await conn.run_sync(META.drop_all)
        await conn.run_sync(META.create_all)
    try:
        yield made
    finally:
        await made.dispose()


async def _ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(NOTES.c.id).order_by(NOTES.c.id))).scalars())


async def test_raw_statements_are_in_the_callers_transaction(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.begin()
        assert await execute_raw(conn, INSERT, 1, "ett") == "INSERT 0 1"
        # SQLAlchemy's next statement sees it: the same transaction, not a second one
        seen = (await conn.execute(select(NOTES.c.text).where(NOTES.c.id == 1))).scalar()
        assert seen == "ett"
        await conn.rollback()
    assert await _ids(engine) == []

    async with engine.connect() as conn:
        await conn.begin()
        await conn.execute(NOTES.insert(), {"id": 2, "text": "två"})  # SQLAlchemy began it
        await execute_raw(conn, INSERT, 3, "tre")
        rows = await fetch_raw(conn, "SELECT id, text FROM notes ORDER BY id")
        assert [(r["id"], r["text"]) for r in rows] == [(2, "två"), (3, "tre")]
        await conn.commit()
    assert await _ids(engine) == [2, 3]


async def test_on_an_autocommit_connection_each_statement_commits(engine: AsyncEngine) -> None:
    async with autocommit(engine) as conn:
        await execute_raw(conn, INSERT, 4, "fyra")
        with pytest.raises(IntegrityError):
            await execute_raw(conn, INSERT, 4, "fyra igen")
    assert await _ids(engine) == [4]


async def test_a_refused_row_is_sqlalchemys_integrity_error(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.begin()
        await execute_raw(conn, INSERT, 5, "fem")
        with pytest.raises(IntegrityError, match="notes_pkey") as refused:
            await execute_raw(conn, INSERT, 5, "fem igen")
        assert not refused.value.connection_invalidated
        await conn.rollback()
    assert await _ids(engine) == []  # nothing of the transaction was kept


async def test_a_dead_connection_is_invalidated_and_replaced(engine: AsyncEngine, dsn: str) -> None:
    admin = make_engine(dsn)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
            async with admin.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as lost:
                await execute_raw(conn, INSERT, 6, "sex")
            assert lost.value.connection_invalidated
        async with engine.connect() as conn:  # the pool's one connection, opened afresh
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar() != pid
            await execute_raw(conn, INSERT, 7, "sju")
            await conn.commit()
    finally:
        await admin.dispose()
    assert await _ids(engine) == [7]
