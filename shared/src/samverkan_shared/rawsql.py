"""Statements sent to asyncpg itself, inside the transaction SQLAlchemy holds (PostgreSQL).

Every request and consumer batch runs a handful of statements, and through SQLAlchemy's Core
each cost about 185 µs more CPU than the same statement on asyncpg (``exec_driver_sql`` about
80 µs more): a transaction of four statements on this project's 2-core machine took
1,613-1,933 µs of CPU through Core, 872-916 µs with only BEGIN and COMMIT left to SQLAlchemy
(README, thirteenth round). So the hot statements go to the driver: SQL written for
PostgreSQL (``fetch_raw``, ``execute_raw``), or a Core statement compiled once (``Compiled``),
which SQLite still runs through SQLAlchemy.

What SQLAlchemy gave is kept: the statements run in the caller's transaction (or commit at
once on an ``autocommit`` connection), errors come out as SQLAlchemy's (``IntegrityError``
naming the constraint, ``DBAPIError``), and a connection found closed is invalidated, so the
pool does not hand it out again (``tests/integration/test_raw_statements.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

__all__ = ["POSTGRESQL", "Compiled", "execute_raw", "fetch_raw", "on_driver"]

POSTGRESQL: Any = asyncpg_dialect()  # type: ignore[no-untyped-call]
"""The PostgreSQL dialect statements are compiled with (asyncpg's ``$n`` parameters), and SQL
written as text is quoted and typed with (``db.insert_together``, the relay's statements)."""


async def fetch_raw(conn: AsyncConnection, sql: str, *params: Any) -> list[Any]:
    """Run SQL written for PostgreSQL (``$1``…) in ``conn``'s transaction; its rows (asyncpg
    records, by position or name)."""
    return await _raw(conn, "fetch", sql, params)  # type: ignore[no-any-return]


async def execute_raw(conn: AsyncConnection, sql: str, *params: Any) -> str:
    """Like ``fetch_raw``, for a statement whose rows are not needed: its status
    (``INSERT 0 3``)."""
    return await _raw(conn, "execute", sql, params)  # type: ignore[no-any-return]


async def on_driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn``, inside the transaction SQLAlchemy began (none
    on an ``autocommit`` connection): for what only the driver does (COPY)."""
    adapter = await _adapter(conn)
    await _begun(adapter)
    return adapter._connection


class Compiled:
    """A Core statement, compiled for PostgreSQL once and sent to asyncpg itself there; on
    another backend SQLAlchemy runs it as before.

    Parameters are given by their ``bindparam`` names; values fixed in the statement
    (``literal``, ``.values(state="received")``) are bound as SQLAlchemy would bind them, and
    each value is converted as SQLAlchemy would (JSON to text). Not for expanding ``IN``.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        compiled: Any = statement.compile(dialect=POSTGRESQL)  # type: ignore[attr-defined]
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("an expanding or literal-execute parameter cannot be compiled once")
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._fixed: dict[str, Any] = {
            name: bp.effective_value for bp, name in compiled.bind_names.items() if not bp.required
        }
        self._convert: dict[str, Any] = dict(compiled._bind_processors)

    def _args(self, params: Mapping[str, Any]) -> list[Any]:
        values = {**self._fixed, **params}
        convert = self._convert
        return [
            convert[n](values[n]) if n in convert and values[n] is not None else values[n]
            for n in self._names
        ]

    async def rows(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Sequence[Any]:
        """Its rows (by position, as tuples are read)."""
        if conn.dialect.name != "postgresql":
            return list(await conn.execute(self.statement, dict(params)))
        return await fetch_raw(conn, self.sql, *self._args(params))

    async def rowcount(self, conn: AsyncConnection, params: Mapping[str, Any]) -> int:
        """How many rows it changed (an UPDATE, a DELETE, an INSERT)."""
        if conn.dialect.name != "postgresql":
            return int((await conn.execute(self.statement, dict(params))).rowcount)
        status = await execute_raw(conn, self.sql, *self._args(params))
        return int(status.rsplit(" ", 1)[-1])


async def _adapter(conn: AsyncConnection) -> Any:
    """SQLAlchemy's asyncpg adapter under ``conn`` (its ``_connection`` is asyncpg's).

    Taken from the connection SQLAlchemy holds, without the greenlet ``get_raw_connection``
    starts for a connection it may have to open again (one that was invalidated).
    """
    sync = conn.sync_connection
    if sync is None or sync.invalidated or sync.closed:
        return (await conn.get_raw_connection()).dbapi_connection
    return sync.connection.dbapi_connection


async def _begun(adapter: Any) -> None:
    """The adapter sends BEGIN with the first statement SQLAlchemy executes; one sent straight
    to the driver before any would run outside the transaction, so the adapter's BEGIN is
    sent first (``_start_transaction``: the same BEGIN, no statement more). Nothing on an
    ``autocommit`` connection."""
    if adapter._transaction is None:
        await adapter._start_transaction()


async def _raw(conn: AsyncConnection, method: str, sql: str, params: tuple[Any, ...]) -> Any:
    adapter = await _adapter(conn)
    try:
        await _begun(adapter)
        return await getattr(adapter._connection, method)(sql, *params)
    except Exception as exc:
        dbapi = conn.dialect.loaded_dbapi
        error: BaseException = exc
        if not isinstance(exc, dbapi.Error):
            try:  # the adapter's own translation (asyncpg's classes → the DB-API's)
                adapter._handle_exception(exc)
            except dbapi.Error as translated:
                error = translated
            except Exception:
                pass
        if not isinstance(error, dbapi.Error):
            raise
        lost = conn.dialect.is_disconnect(error, adapter, None)
        if lost:
            await conn.invalidate(error)
        raise DBAPIError.instance(
            sql, params, error, dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc
