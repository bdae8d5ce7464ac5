"""Statements sent to asyncpg itself (``samverkan_shared.rawsql``) on PostgreSQL.

The hot statements of every request and batch bypass SQLAlchemy's statement machinery; these
tests hold them to what SQLAlchemy gave: they run in the caller's transaction (so a rollback
takes them back), an autocommit connection commits each at once, a refused row raises
SQLAlchemy's ``IntegrityError`` naming the constraint, and a connection that died is
invalidated rather than handed out again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from samverkan_shared.db import autocommit, make_engine
from samverkan_shared.rawsql import Compiled, execute_raw, fetch_raw
from shared.tests.unit.contexts import outlives_its_batch
from tests.infra import fresh_tables, scratch_database

META = MetaData()
NOTES = Table(
    "notes",
    META,
    Column("id", Integer, primary_key=True),
    Column("text", String(40), nullable=False),
    Column("tags", JSON),
)
INSERT = "INSERT INTO notes (id, text) VALUES ($1, $2)"


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with scratch_database("raw-statements") as url:
        yield url


@pytest.fixture
async def engine(dsn: str) -> AsyncIterator[AsyncEngine]:
    made = make_engine(dsn, pool_size=1)  # one connection: a dead one must be replaced
    await fresh_tables(made, META)
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


TAG = Compiled(
    update(NOTES)
    .where(NOTES.c.id == bindparam("b_id"))
    .values(tags=bindparam("b_tags"), text="märkt")  # a value fixed in the statement
)
TAGGED = Compiled(select(NOTES.c.id, NOTES.c.tags).where(NOTES.c.text == "märkt"))


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_a_compiled_statement_binds_and_converts_as_sqlalchemy_would(
    engine: AsyncEngine, backend: str
) -> None:
    used = engine if backend == "postgresql" else make_engine("sqlite+aiosqlite:///:memory:")
    try:
        if backend == "sqlite":
            async with used.begin() as conn:
                await conn.run_sync(META.create_all)
        async with used.begin() as conn:
            await conn.execute(
                NOTES.insert(), [{"id": 8, "text": "åtta"}, {"id": 9, "text": "nio"}]
            )
            assert await TAG.rowcount(conn, {"b_id": 8, "b_tags": {"färg": ["röd"]}}) == 1
            assert await TAG.rowcount(conn, {"b_id": 99, "b_tags": None}) == 0
        async with used.connect() as conn:
            rows = await TAGGED.rows(conn, {})
            assert [(r[0], r[1]) for r in rows] == [(8, {"färg": ["röd"]})]  # JSON both ways
            # what SQLAlchemy itself reads back: the same JSON, not a string of it
            read = (await conn.execute(select(NOTES.c.tags).where(NOTES.c.id == 8))).scalar()
            assert read == {"färg": ["röd"]}
    finally:
        if used is not engine:
            await used.dispose()


def test_an_expanding_parameter_is_refused_when_compiled() -> None:
    with pytest.raises(ValueError, match="expanding"):
        Compiled(select(NOTES.c.id).where(NOTES.c.id.in_(bindparam("ids", expanding=True))))


async def test_a_cached_statement_does_not_keep_the_callers_context(engine: AsyncEngine) -> None:
    # asyncpg timed each statement it cached with a timer holding the context it was made
    # in; a consumer batch's context kept that batch's records alive for five minutes.
    async def cache_a_statement() -> None:
        async with engine.connect() as conn:
            await fetch_raw(conn, "SELECT count(*) AS cached_in_a_batch FROM notes")

    assert not await outlives_its_batch(cache_a_statement)
