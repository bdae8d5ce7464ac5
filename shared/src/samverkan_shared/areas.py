"""The area vocabulary: the base list (``areas.json``) plus every operating plan's focus areas.

Contracts check an area code's form only; each service checks membership where areas enter
it, against the base list and the focus areas of the operating plans it has published
(national) or received (regions), kept in its own ``plan_areas`` table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from samverkan_shared.db import UTCDateTime, insert_ignore
from samverkan_shared.registry import load_areas
from samverkan_shared.statemachine import InvalidInput

__all__ = ["add_plan_areas", "check_areas", "define_plan_areas", "vocabulary"]


def define_plan_areas(metadata: MetaData) -> Table:
    """The focus areas a service learnt from operating plans (first plan naming each wins)."""
    return Table(
        "plan_areas",
        metadata,
        Column("code", String(60), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("year", Integer, nullable=False),
        Column("added_at", UTCDateTime, nullable=False),
    )


async def vocabulary(conn: AsyncConnection, table: Table) -> dict[str, str]:
    """Every valid area code with its name: the base list, then the plans' additions."""
    known = {a.code: a.name for a in load_areas()}
    for row in await conn.execute(select(table.c.code, table.c.name).order_by(table.c.code)):
        known.setdefault(row.code, row.name)
    return known


async def check_areas(
    conn: AsyncConnection, table: Table, codes: Iterable[str], field: str = "areas"
) -> None:
    """Raise InvalidInput (422) naming the field for any code outside the vocabulary."""
    codes = list(codes)
    base = {a.code for a in load_areas()}
    beyond = {c for c in codes if c not in base}
    if not beyond:
        return  # the usual case, on every write: no database round trip
    planned = set(
        (await conn.execute(select(table.c.code).where(table.c.code.in_(beyond)))).scalars()
    )
    for i, code in enumerate(codes):
        if code not in base and code not in planned:
            known = await vocabulary(conn, table)  # the whole list only for the error message
            raise InvalidInput(
                ("body", field, i), f"unknown area {code!r}; the area list has {sorted(known)}"
            )


async def add_plan_areas(
    conn: AsyncConnection, table: Table, year: int, areas: Iterable[tuple[str, str]], at: datetime
) -> None:
    """Record a plan's focus areas; codes already known keep their first definition."""
    for code, name in areas:
        await conn.execute(insert_ignore(conn, table, code=code, name=name, year=year, added_at=at))
