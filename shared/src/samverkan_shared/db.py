"""The engine, and the statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Insert, Table, TypeDecorator, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from samverkan_shared.rawsql import POSTGRESQL, execute_raw, fetch_raw, on_driver
from samverkan_shared.settings import MAX_OVERFLOW, POOL_SIZE

__all__ = [
    "COPY_FROM",
    "POSTGRESQL",
    "UTCDateTime",
    "autocommit",
    "column_arrays",
    "insert_ignore",
    "insert_ignore_many",
    "insert_many",
    "insert_together",
    "make_engine",
    "pg_type",
    "together",
    "unnest_insert",
    "upsert_increments",
]


def make_engine(
    url: str, *, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW
) -> AsyncEngine:
    """An engine for the service's own database; SQLite gets WAL and a busy timeout.

    PostgreSQL connections are opened as needed, up to ``pool_size``, and kept (see
    ``samverkan_shared.settings.POOL_SIZE``).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # asyncpg times each statement it caches with a 300 s timer, and a timer holds a
            # copy of the context it was made in: a consumer batch's, with FastStream's
            # message and its records in it. The statements sent to asyncpg itself
            # (``rawsql``) kept a batch each alive that long (seen: 7 batches, 3-4 MiB at the
            # national council's peak). Cached statements leave by the cache's own order.
            connect_args={"max_cached_statement_lifetime": 0},
        )
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def _dialect_insert(dialect: str, table: Table) -> Any:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@contextlib.asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection whose statements each commit on their own.

    For work that needs no transaction (the relay's read and mark, the API-key check): BEGIN
    and COMMIT around it are two more round trips, and a transaction left open while the
    caller waits on something else. SQLAlchemy resets the level when the connection returns
    to the pool.
    """
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def insert_ignore(conn: AsyncConnection, table: Table, **values: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, for either backend."""
    return _dialect_insert(conn.dialect.name, table).values(**values).on_conflict_do_nothing()  # type: ignore[no-any-return]


async def insert_ignore_many(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], *returning: Column[Any]
) -> list[tuple[Any, ...]]:
    """INSERT … ON CONFLICT DO NOTHING for many rows; the ``returning`` columns of new rows.

    An executemany of one statement, not one statement with as many VALUES as rows: that was
    a new statement for every batch size, each compiled, cached and prepared on its own (the
    national service's memory grew with them under load). SQLAlchemy sends the executemany
    with RETURNING as few multi-row INSERTs ("insertmanyvalues").
    """
    if not rows:
        return []
    stmt = _insert_ignore(table, conn.dialect.name, returning)
    if not returning:
        await conn.execute(stmt, list(rows))
        return []
    return [tuple(r) for r in await conn.execute(stmt, list(rows))]


@cache
def _insert_ignore(table: Table, dialect: str, returning: tuple[Column[Any], ...]) -> Any:
    """Built once per table: every consumer batch runs it for its inbox rows."""
    stmt = _dialect_insert(dialect, table).on_conflict_do_nothing()
    return stmt.returning(*returning) if returning else stmt


COPY_FROM = 16
"""Rows from which ``insert_many`` sends a COPY instead of an executemany (PostgreSQL)."""


async def insert_many(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows in the caller's transaction: binary COPY on PostgreSQL for many rows.

    An executemany is one INSERT execution per row in PostgreSQL; COPY is one for them all.
    Measured on 500 queue issues (13 indexes): 84 ms as executemany, 49 ms as COPY. Fewer
    rows go in one ``insert_together`` statement where it can take them; rows of different
    shapes, SQLite, or a table with Python-side column defaults (which COPY and
    ``insert_together`` would not apply) take the executemany.
    """
    if not rows:
        return
    if together(conn, few := {table: list(rows)}):  # fewer than COPY_FROM, PostgreSQL
        await insert_together(conn, few)  # one statement, on asyncpg itself
        return
    if len(rows) == 1:  # one execution, not an executemany of one
        await conn.execute(table.insert(), rows[0])
        return
    columns = tuple(rows[0])
    if (
        conn.dialect.name != "postgresql"
        or len(rows) < COPY_FROM
        or any(len(r) != len(columns) or r.keys() != rows[0].keys() for r in rows)
        or _python_defaults(table, columns)
    ):
        await conn.execute(table.insert(), list(rows))
        return
    # The values in column order (itemgetter, in C), then only the columns SQLAlchemy would
    # convert (JSON → text) converted: a generator over every value of every row was 6 % of
    # the national council's samples at ingest.
    values = _reader(columns)
    convert = _converted_columns(table, columns, conn.dialect)
    records: list[tuple[Any, ...]] = []
    for r in rows:
        record = values(r)
        if convert:
            changed = list(record)
            for i, process in convert:
                if changed[i] is not None:
                    changed[i] = process(changed[i])
            record = tuple(changed)
        records.append(record)
    driver = await on_driver(conn)
    await driver.copy_records_to_table(
        table.name, records=records, columns=list(columns), schema_name=table.schema
    )


def together(conn: AsyncConnection, tables: dict[Table, list[dict[str, Any]]]) -> bool:
    """Whether ``insert_together`` can write these rows: PostgreSQL, fewer than ``COPY_FROM``
    rows a table (a COPY is quicker for more), every table's rows of one shape, and no column
    left out whose default Python would have to fill in."""
    if conn.dialect.name != "postgresql":
        return False
    for table, rows in tables.items():
        if not rows or len(rows) >= COPY_FROM:
            return False
        keys = rows[0].keys()
        if any(r.keys() != keys for r in rows) or _python_defaults(table, tuple(keys)):
            return False
        if _has_arrays(table):  # unnest would flatten an array column's arrays into rows
            return False
    return True


async def insert_together(conn: AsyncConnection, tables: dict[Table, list[dict[str, Any]]]) -> None:
    """The rows of several tables in one statement, in the caller's transaction (PostgreSQL).

    One round trip instead of one a table: every table but the last is a data-modifying WITH.
    A table's one row goes in as VALUES, several as one array a column (``unnest_insert``):
    a 22-column row as arrays of one cost 75 µs more CPU to encode and send than as values.
    PostgreSQL checks foreign keys at the end of the statement, so children may come in the
    same statement as their parents. Only for rows ``together`` accepts; sent to asyncpg
    itself (``execute_raw``).
    """
    shapes = tuple((t, tuple(rows[0]), len(rows) == 1) for t, rows in tables.items() if rows)
    if not shapes:
        return
    params: list[Any] = []
    for table, columns, one in shapes:
        if one:
            params += [values[0] for values in column_arrays(conn, table, columns, tables[table])]
        else:
            params += column_arrays(conn, table, columns, tables[table])
    await execute_raw(conn, _together_sql(shapes), *params)


def column_arrays(
    conn: AsyncConnection, table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> list[list[Any]]:
    """The rows' values as one list a column, converted as SQLAlchemy would (JSON → text)."""
    values = [[row[c] for row in rows] for c in columns]
    for i, process in _converted_columns(table, columns, conn.dialect):
        values[i] = [None if v is None else process(v) for v in values[i]]
    return values


def pg_type(column: Column[Any]) -> str:
    """The column's type as PostgreSQL spells it (for a cast in SQL written as text)."""
    return str(column.type.compile(dialect=POSTGRESQL))


def unnest_insert(table: Table, columns: tuple[str, ...], first: int, *, one: bool = False) -> str:
    """``INSERT INTO table (columns) SELECT * FROM unnest($first::T[], …)``: rows given as one
    array a column (``column_arrays``), the parameters numbered from ``first``; with ``one``,
    ``VALUES ($first::T, …)`` for a single row's values."""
    quote = POSTGRESQL.identifier_preparer
    array = "" if one else "[]"
    casts = ", ".join(f"${n}::{pg_type(table.c[c])}{array}" for n, c in enumerate(columns, first))
    rows = f"VALUES ({casts})" if one else f"SELECT * FROM unnest({casts})"
    names = ", ".join(quote.quote(c) for c in columns)
    return f"INSERT INTO {quote.format_table(table)} ({names}) {rows}"


@cache
def _together_sql(shapes: tuple[tuple[Table, tuple[str, ...], bool], ...]) -> str:
    """Built once per combination of tables, columns and one row or several (a batch's are
    few and repeat)."""
    inserts: list[str] = []
    first = 1
    for table, columns, one in shapes:
        inserts.append(unnest_insert(table, columns, first, one=one))
        first += len(columns)
    withs = [f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1])]
    return (f"WITH {', '.join(withs)} " if withs else "") + inserts[-1]


@cache
def _has_arrays(table: Table) -> bool:
    return any(isinstance(c.type, postgresql.ARRAY) for c in table.columns)


@cache
def _python_defaults(table: Table, columns: tuple[str, ...]) -> bool:
    return any(c.default is not None for c in table.columns if c.name not in columns)


def _reader(columns: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values in column order, as a tuple (itemgetter of one key returns the value)."""
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only],)
    return itemgetter(*columns)


@cache
def _converted_columns(
    table: Table, columns: tuple[str, ...], dialect: Any
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """The columns whose values SQLAlchemy converts before the driver sees them (JSON → text),
    by position, with the conversion."""
    processors = (table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    return tuple((i, p) for i, p in enumerate(processors) if p is not None)


PING_AFTER_IDLE = 2.0
"""Seconds a pooled connection may rest before it is tested at checkout."""


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Test a pooled connection at checkout only if it rested ``PING_AFTER_IDLE`` or more.

    ``pool_pre_ping`` tests every checkout: with asyncpg that is BEGIN, an empty query and
    ROLLBACK — three round trips before each transaction, measured as the most frequent
    statements of a loaded service (six checkouts per escalation in a region). A connection
    that was in use a moment ago is very likely alive. If the database went away since, the
    first statement on it fails as a disconnect, SQLAlchemy discards the whole pool, and the
    caller's retry (the consumer's, the relay's) gets fresh connections.
    """
    pool_events = engine.sync_engine

    @event.listens_for(pool_events, "connect")
    @event.listens_for(pool_events, "checkin")
    def _rested_from(_: Any, record: Any) -> None:
        record.info["rested_from"] = time.monotonic()

    @event.listens_for(pool_events, "checkout")
    def _test_if_rested(dbapi_conn: Any, record: Any, _: Any) -> None:
        if time.monotonic() - record.info.get("rested_from", 0.0) < PING_AFTER_IDLE:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:  # the pool replaces it (and retries the checkout)
            raise DisconnectionError(f"a pooled connection failed its test: {exc}") from exc


async def upsert_increments(
    conn: AsyncConnection, table: Table, key: str, counter: str, amounts: dict[Any, int]
) -> list[tuple[Any, int]]:
    """Add each amount to its key's counter (inserting keys not there yet), in one statement.

    Returns (key, new counter) per key. The rows go in key order, so concurrent statements
    lock the counters in one order and never wait for each other in a circle. On PostgreSQL
    one statement built once per table takes any number of keys as arrays, on asyncpg itself
    (``fetch_raw``). On SQLite one key takes a statement built once per table
    (``_one_upsert``); a multi-row VALUES is built and compiled on every call.
    """
    if conn.dialect.name == "postgresql":
        keys = sorted(amounts)
        values = [amounts[k] for k in keys]
        if len(keys) == 1:  # a request's one topic: VALUES, 15-28 µs less of PostgreSQL's CPU
            moved = await fetch_raw(conn, _upsert_pg(table, key, counter, False), *keys, *values)
        else:
            moved = await fetch_raw(conn, _upsert_pg(table, key, counter, True), keys, values)
        return [(k, int(n)) for k, n in moved]
    if len(amounts) == 1:
        [(only, amount)] = amounts.items()
        stmt = _one_upsert(table, key, counter, conn.dialect.name)
        rows = await conn.execute(stmt, {"u_key": only, "u_amount": amount})
    else:
        insert = _dialect_insert(conn.dialect.name, table)
        many = insert.values([{key: k, counter: n} for k, n in sorted(amounts.items())])
        rows = await conn.execute(_on_conflict_add(many, table, key, counter))
    return [(k, int(n)) for k, n in rows]


@cache
def _upsert_pg(table: Table, key: str, counter: str, many: bool) -> str:
    """Built once per table: one key and amount as values, or many as two arrays inserted in
    the arrays' order (the keys sorted: every transaction locks the counters in one order)."""
    quote = POSTGRESQL.identifier_preparer
    name, k, n = quote.format_table(table), quote.quote(key), quote.quote(counter)
    types = pg_type(table.c[key]), pg_type(table.c[counter])
    rows = (
        f"SELECT u.k, u.n FROM unnest($1::{types[0]}[], $2::{types[1]}[])"
        " WITH ORDINALITY AS u(k, n, i) ORDER BY u.i"
        if many
        else f"VALUES ($1::{types[0]}, $2::{types[1]})"
    )
    return (
        f"INSERT INTO {name} ({k}, {n}) {rows}"
        f" ON CONFLICT ({k}) DO UPDATE SET {n} = {name}.{n} + excluded.{n} RETURNING {k}, {n}"
    )


@cache
def _one_upsert(table: Table, key: str, counter: str, dialect: str) -> Any:
    """The one-key upsert, built once: building it (its ``excluded`` alias, its bound
    values) took a tenth of a regional escalation's request in py-spy."""
    one = _dialect_insert(dialect, table).values(
        {key: bindparam("u_key"), counter: bindparam("u_amount")}
    )
    return _on_conflict_add(one, table, key, counter)


def _on_conflict_add(stmt: Any, table: Table, key: str, counter: str) -> Any:
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={counter: table.c[counter] + stmt.excluded[counter]}
    ).returning(table.c[key], table.c[counter])


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend (SQLite forgets the zone; we restore UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
