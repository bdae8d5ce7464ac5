"""Reading and writing the regional council's rows; always scoped to one region."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regional_council.adapters.tables import assessments, information_requests, issues
from regional_council.domain.model import LIFECYCLE, RegionalState
from samverkan_shared.statemachine import NotFound

__all__ = ["get_issue", "list_issues", "move", "open_requests"]


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


async def get_issue(conn: AsyncConnection, region: str, issue_id: str) -> dict[str, Any]:
    """One issue of this region, or NotFound (another region's id is simply not found)."""
    row = (
        await conn.execute(select(issues).where(issues.c.id == issue_id, issues.c.region == region))
    ).first()
    if row is None:
        raise NotFound(f"issue {issue_id} not found")
    return dict(row._mapping)


async def move(
    conn: AsyncConnection, issue: dict[str, Any], target: RegionalState, **fields: Any
) -> dict[str, Any]:
    """Apply a lifecycle transition (checked) and any other field changes."""
    LIFECYCLE.check(RegionalState(issue["state"]), target)
    values = {"state": target.value, "updated_at": now(), **fields}
    await conn.execute(update(issues).where(issues.c.id == issue["id"]).values(**values))
    return {**issue, **values}


async def open_requests(conn: AsyncConnection, issue_id: str) -> list[dict[str, Any]]:
    """Information requests of an issue that have no answer yet."""
    rows = await conn.execute(
        select(information_requests).where(
            information_requests.c.issue_id == issue_id,
            information_requests.c.answered_at.is_(None),
        )
    )
    return [dict(r._mapping) for r in rows]


async def list_issues(
    conn: AsyncConnection, region: str, state: str | None, limit: int
) -> list[dict[str, Any]]:
    """This region's issues, newest first."""
    query = select(issues).where(issues.c.region == region)
    if state:
        query = query.where(issues.c.state == state)
    rows = await conn.execute(query.order_by(issues.c.created_at.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


async def issue_detail(conn: AsyncConnection, region: str, issue_id: str) -> dict[str, Any]:
    """An issue with its information requests."""
    issue = await get_issue(conn, region, issue_id)
    rows = await conn.execute(
        select(information_requests)
        .where(information_requests.c.issue_id == issue_id)
        .order_by(information_requests.c.requested_at)
    )
    issue["information_requests"] = [with_overdue(dict(r._mapping)) for r in rows]
    return issue


def with_overdue(request: dict[str, Any]) -> dict[str, Any]:
    """Mark a request that is unanswered past its deadline."""
    late = request["answered_at"] is None and request["due_at"] < now()
    return {**request, "overdue": late}


async def open_requests_of_region(conn: AsyncConnection, region: str) -> list[dict[str, Any]]:
    """Every unanswered national request to this region, the soonest due first."""
    rows = await conn.execute(
        select(information_requests, issues.c.title.label("issue_title"))
        .join(issues, issues.c.id == information_requests.c.issue_id)
        .where(issues.c.region == region, information_requests.c.answered_at.is_(None))
        .order_by(information_requests.c.due_at)
    )
    return [with_overdue(dict(r._mapping)) for r in rows]


async def list_assessments(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every assessment version received, newest first."""
    rows = await conn.execute(
        select(assessments).order_by(assessments.c.received_at.desc(), assessments.c.version)
    )
    return [dict(r._mapping) for r in rows]
