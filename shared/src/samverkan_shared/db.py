"""The engine, and the statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Insert, Table, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = [
    "UTCDateTime",
    "insert_ignore",
    "insert_ignore_many",
    "make_engine",
    "upsert_increment",
]


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 5) -> AsyncEngine:
    """An engine for the service's own database; SQLite gets WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )
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


def _dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(conn: AsyncConnection, table: Table, **values: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, for either backend."""
    return _dialect_insert(conn, table).values(**values).on_conflict_do_nothing()  # type: ignore[no-any-return]


async def insert_ignore_many(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], *returning: Column[Any]
) -> list[tuple[Any, ...]]:
    """One INSERT … ON CONFLICT DO NOTHING for many rows; the ``returning`` columns of new rows."""
    if not rows:
        return []
    stmt = _dialect_insert(conn, table).values(list(rows)).on_conflict_do_nothing()
    if not returning:
        await conn.execute(stmt)
        return []
    return [tuple(r) for r in await conn.execute(stmt.returning(*returning))]


def upsert_increment(
    conn: AsyncConnection, table: Table, key: str, value: Any, counter: str, by: int = 1
) -> Any:
    """INSERT key with counter ``by``, or add ``by`` to it; RETURNING the new counter."""
    stmt = _dialect_insert(conn, table).values({key: value, counter: by})
    stmt = stmt.on_conflict_do_update(index_elements=[key], set_={counter: table.c[counter] + by})
    return stmt.returning(table.c[counter])


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend (SQLite forgets the zone; we restore UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
