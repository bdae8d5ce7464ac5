"""Read side of the queue for the HTTP API, the web pages and the CLI alike.

Filters (state, region, area, priority, assignee, overdue), sorting, full-text search over
title and summary (PostgreSQL: a GIN-indexed tsvector; SQLite: LIKE per word) and keyset
pagination with an opaque cursor: a page costs the same at the end of 100,000 issues as at
the start, because it seeks on (sort column, id) instead of counting past an offset.
"""

from __future__ import annotations

import base64
import binascii
import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from national_council.adapters import repository as repo
from national_council.adapters.tables import SEARCH_CONFIG, issue_areas, issues, search_document
from national_council.domain.model import NationalState, Priority
from national_council.domain.sla import Clock
from samverkan_shared.statemachine import InvalidInput

__all__ = [
    "SORTS",
    "Page",
    "QueueFilter",
    "acknowledge_overdue",
    "answer_overdue",
    "overdue",
    "present",
    "queue_page",
    "queue_stats",
]

_S = NationalState
SORTS: dict[str, Any] = {
    "received_at": issues.c.received_at,
    "updated_at": issues.c.updated_at,
    "answer_by": issues.c.answer_by,
    "acknowledge_by": issues.c.acknowledge_by,
    "priority": issues.c.priority,
}
"""Sortable columns; prefix ``-`` for descending. The id breaks ties."""

UNASSIGNED = "none"


def acknowledge_overdue(at: datetime) -> ColumnElement[bool]:
    """Still ``received`` after the acknowledge target."""
    return and_(issues.c.state == _S.RECEIVED.value, issues.c.acknowledge_by < at)


def answer_overdue(at: datetime) -> ColumnElement[bool]:
    """Unanswered after the answer target (the clock stands still while awaiting the region)."""
    running = [_S.RECEIVED.value, _S.TRIAGED.value, _S.IN_ASSESSMENT.value]
    return and_(issues.c.state.in_(running), issues.c.answer_by < at)


def overdue(at: datetime) -> ColumnElement[bool]:
    """Past either target."""
    return or_(acknowledge_overdue(at), answer_overdue(at))


@dataclass(frozen=True)
class QueueFilter:
    """What to show; empty lists mean no restriction."""

    states: list[NationalState] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    assignee: str | None = None  # a username, or "none" for unassigned
    overdue: bool | None = None
    text: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of the queue and the cursor of the next (None on the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _where(query: Select[Any], f: QueueFilter, dialect: str) -> Select[Any]:
    if f.states:
        query = query.where(issues.c.state.in_([s.value for s in f.states]))
    if f.regions:
        query = query.where(issues.c.region.in_(f.regions))
    if f.areas:
        tagged = select(issue_areas.c.issue_id).where(issue_areas.c.area.in_(f.areas))
        query = query.where(issues.c.id.in_(tagged))
    if f.priorities:
        query = query.where(issues.c.priority.in_([p.rank for p in f.priorities]))
    if f.assignee == UNASSIGNED:
        query = query.where(issues.c.assignee.is_(None))
    elif f.assignee:
        query = query.where(issues.c.assignee == f.assignee)
    if f.overdue is not None:
        late = overdue(repo.now())
        query = query.where(late if f.overdue else ~late)
    if f.text:
        query = query.where(_matches(f.text, dialect))
    return query


def _matches(text: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        wanted = func.websearch_to_tsquery(SEARCH_CONFIG, text)
        # The planner picks: the GIN index for a rare word, the sort index for common ones
        # (bench/queue_queries.py measured both; an OFFSET 0 fence made common words 400 ms).
        return search_document().op("@@")(wanted)  # type: ignore[attr-defined, no-any-return]
    words = [w for w in text.split() if w] or [text]
    return and_(
        *(or_(issues.c.title.ilike(f"%{w}%"), issues.c.summary.ilike(f"%{w}%")) for w in words)
    )


def _sort(sort: str) -> tuple[str, Any, bool]:
    name = sort.removeprefix("-")
    if name not in SORTS:
        raise InvalidInput(("query", "sort"), f"sort by one of {sorted(SORTS)}, '-' for descending")
    return name, SORTS[name], sort.startswith("-")


def _encode(sort: str, value: Any, issue_id: str) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    doc = json.dumps({"s": sort, "v": raw, "i": issue_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if doc["s"] != sort:
            raise ValueError("sort changed")
        value = doc["v"]
        value = datetime.fromisoformat(value) if isinstance(value, str) else int(value)
        return value, str(doc["i"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            ("query", "cursor"), "not a cursor of this query (it is bound to its sort)"
        ) from exc


async def queue_page(
    conn: AsyncConnection,
    f: QueueFilter,
    sort: str = "received_at",
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of the queue in the chosen order, after ``cursor``."""
    name, column, descending = _sort(sort)
    query = _where(select(issues), f, conn.dialect.name)
    if cursor:
        value, after = _decode(cursor, sort)
        key = tuple_(column, issues.c.id)
        query = query.where(key < (value, after) if descending else key > (value, after))
    if descending:
        query = query.order_by(column.desc(), issues.c.id.desc())
    else:
        query = query.order_by(column, issues.c.id)
    rows = [dict(r._mapping) for r in await conn.execute(query.limit(limit + 1))]
    more = len(rows) > limit
    items = rows[:limit]
    last = items[-1] if more else None
    return Page(items, _encode(sort, last[name], last["id"]) if last else None)


async def queue_stats(conn: AsyncConnection) -> dict[str, Any]:
    """For the dashboard: issues per region and area, overdue count, median time to answer."""
    by_region = {
        r.region: r.n
        for r in await conn.execute(
            select(issues.c.region, func.count().label("n")).group_by(issues.c.region)
        )
    }
    by_area = {
        r.area: r.n
        for r in await conn.execute(
            select(issue_areas.c.area, func.count().label("n")).group_by(issue_areas.c.area)
        )
    }
    late = (
        await conn.execute(select(func.count()).select_from(issues).where(overdue(repo.now())))
    ).scalar_one()
    answered = await conn.execute(
        select(issues.c.received_at, issues.c.answered_at).where(issues.c.answered_at.is_not(None))
    )
    waits = [(r.answered_at - r.received_at).total_seconds() for r in answered]
    return {
        "by_region": by_region,
        "by_area": by_area,
        "overdue": late,
        "median_seconds_to_answer": statistics.median(waits) if waits else None,
    }


def present(issue: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """An issue row as callers show it: priority by name, and its service-level clock."""
    clock = Clock.of(issue, at or repo.now())
    return {
        **issue,
        "priority": Priority.of_rank(issue["priority"]).value,
        "sla": {
            "acknowledge": asdict(clock.acknowledge),
            "answer": asdict(clock.answer),
            "paused": clock.paused,
            "overdue": clock.overdue,
        },
    }
