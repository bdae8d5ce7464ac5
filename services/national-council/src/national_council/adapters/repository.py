"""Reading and writing the national queue; every state change leaves an audit row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from national_council.adapters.tables import (
    acknowledgements,
    amendments,
    assessment_links,
    assessments,
    information_requests,
    issues,
    transitions,
)
from national_council.domain.model import NationalState, path_to
from samverkan_shared.statemachine import NotFound

__all__ = ["advance", "get_issue", "issue_by_regional_id", "now"]


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


async def get_issue(conn: AsyncConnection, issue_id: str) -> dict[str, Any]:
    """One issue of the queue, or NotFound."""
    row = (await conn.execute(select(issues).where(issues.c.id == issue_id))).first()
    if row is None:
        raise NotFound(f"issue {issue_id} not found")
    return dict(row._mapping)


async def issue_by_regional_id(
    conn: AsyncConnection, region: str, regional_issue_id: str
) -> dict[str, Any]:
    """The national issue that a region's issue id refers to."""
    row = (
        await conn.execute(
            select(issues)
            .where(issues.c.region == region, issues.c.regional_issue_id == regional_issue_id)
            .order_by(issues.c.received_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound(f"no escalation of issue {regional_issue_id} from {region}")
    return dict(row._mapping)


async def advance(
    conn: AsyncConnection,
    issue: dict[str, Any],
    target: NationalState,
    actor: str,
    reason: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Move an issue to target (through in_assessment if needed), auditing each step."""
    current = NationalState(issue["state"])
    at = now()
    for step in path_to(current, target):
        await conn.execute(
            transitions.insert().values(
                issue_id=issue["id"],
                from_state=current.value,
                to_state=step.value,
                actor=actor,
                reason=reason,
                at=at,
            )
        )
        current = step
    values = {"state": target.value, "updated_at": at, **fields}
    await conn.execute(update(issues).where(issues.c.id == issue["id"]).values(**values))
    return {**issue, **values}


async def record_received(conn: AsyncConnection, issue_id: str, actor: str) -> None:
    """The first audit row: the escalation arrived."""
    await conn.execute(
        transitions.insert().values(
            issue_id=issue_id,
            from_state=None,
            to_state=NationalState.RECEIVED.value,
            actor=actor,
            reason="escalation received",
            at=now(),
        )
    )


async def list_issues(
    conn: AsyncConnection, state: str | None, region: str | None, limit: int
) -> list[dict[str, Any]]:
    """The queue, oldest first (the order staff work it)."""
    query = select(issues)
    if state:
        query = query.where(issues.c.state == state)
    if region:
        query = query.where(issues.c.region == region)
    rows = await conn.execute(query.order_by(issues.c.received_at, issues.c.id).limit(limit))
    return [dict(r._mapping) for r in rows]


async def issue_detail(conn: AsyncConnection, issue_id: str) -> dict[str, Any]:
    """An issue with its audit trail and information requests."""
    issue = await get_issue(conn, issue_id)
    trail = await conn.execute(
        select(transitions).where(transitions.c.issue_id == issue_id).order_by(transitions.c.id)
    )
    reqs = await conn.execute(
        select(information_requests)
        .where(information_requests.c.issue_id == issue_id)
        .order_by(information_requests.c.requested_at)
    )
    notes = await conn.execute(
        select(amendments).where(amendments.c.issue_id == issue_id).order_by(amendments.c.id)
    )
    issue["transitions"] = [dict(r._mapping) for r in trail]
    issue["amendments"] = [dict(r._mapping) for r in notes]
    issue["information_requests"] = [dict(r._mapping) for r in reqs]
    return issue


async def assessment_detail(conn: AsyncConnection, assessment_id: str) -> dict[str, Any]:
    """Every version of an assessment, the issues it answers and who acknowledged it."""
    versions = (
        await conn.execute(
            select(assessments)
            .where(assessments.c.id == assessment_id)
            .order_by(assessments.c.version)
        )
    ).all()
    if not versions:
        raise NotFound(f"assessment {assessment_id} not found")
    links = await conn.execute(
        select(assessment_links.c.issue_id).where(assessment_links.c.assessment_id == assessment_id)
    )
    acks = await conn.execute(
        select(acknowledgements).where(acknowledgements.c.assessment_id == assessment_id)
    )
    return {
        "id": assessment_id,
        "versions": [dict(v._mapping) for v in versions],
        "answers": [r.issue_id for r in links],
        "acknowledgements": [dict(a._mapping) for a in acks],
    }


async def open_request_count(conn: AsyncConnection, issue_id: str) -> int:
    """Unanswered information requests of an issue."""
    rows = await conn.execute(
        select(information_requests.c.id).where(
            information_requests.c.issue_id == issue_id,
            information_requests.c.answered_at.is_(None),
        )
    )
    return len(rows.all())
