"""Reading and writing the national queue; every change to an issue leaves an audit row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, bindparam, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from national_council.adapters.tables import (
    acknowledgements,
    amendments,
    assessment_links,
    assessments,
    information_requests,
    issue_areas,
    issues,
    sla_breaches,
    transitions,
)
from national_council.domain.model import NationalState, path_to
from national_council.domain.sla import clock_fields
from samverkan_shared.rawsql import Compiled
from samverkan_shared.statemachine import NotFound

__all__ = [
    "advance",
    "assessment_detail",
    "audit",
    "get_issue",
    "issue_by_regional_id",
    "issue_detail",
    "latest_states",
    "now",
    "open_request_count",
    "received_row",
    "set_areas",
]


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


async def get_issue(conn: AsyncConnection, issue_id: str, *, lock: bool = False) -> dict[str, Any]:
    """One issue of the queue, or NotFound; ``lock`` holds its row until the commit."""
    query = select(issues).where(issues.c.id == issue_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"issue {issue_id} not found")
    return dict(row._mapping)


def _latest_states_of_given() -> Compiled:
    """The keys as two arrays: one statement text for every batch size (a literal IN list of
    500 pairs was compiled anew for each batch: a tenth of a loaded consumer's CPU)."""
    given = (
        func.unnest(
            bindparam("regions", type_=ARRAY(String)), bindparam("ids", type_=ARRAY(String))
        )
        .table_valued("region", "regional_issue_id")
        .render_derived(name="given")
    )
    pair = tuple_(issues.c.region, issues.c.regional_issue_id)
    return Compiled(  # on asyncpg itself: every batch of escalations asks
        select(issues.c.region, issues.c.regional_issue_id, issues.c.state)
        .where(pair.in_(select(given.c.region, given.c.regional_issue_id)))
        .order_by(issues.c.received_at)
    )


_LATEST_STATES = _latest_states_of_given()


async def latest_states(
    conn: AsyncConnection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The state of the latest national issue of each (region, regional issue id) known."""
    wanted = list(keys)
    if not wanted:
        return {}
    if conn.dialect.name == "postgresql":
        params = {"regions": [r for r, _ in wanted], "ids": [i for _, i in wanted]}
        rows = await _LATEST_STATES.rows(conn, params)
    else:
        pair = tuple_(issues.c.region, issues.c.regional_issue_id)
        select_ = select(issues.c.region, issues.c.regional_issue_id, issues.c.state)
        rows = list(
            await conn.execute(select_.where(pair.in_(wanted)).order_by(issues.c.received_at))
        )
    return {(region, id_): state for region, id_, state in rows}  # the latest wins


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


async def audit(
    conn: AsyncConnection,
    issue: dict[str, Any],
    action: str,
    actor: str,
    reason: str | None,
    at: datetime | None = None,
) -> None:
    """An audit row for a change that keeps the state (triage, assignment, link…)."""
    await conn.execute(
        transitions.insert().values(
            issue_id=issue["id"],
            from_state=issue["state"],
            to_state=issue["state"],
            actor=actor,
            reason=reason,
            at=at or now(),
            action=action,
        )
    )


async def advance(
    conn: AsyncConnection,
    issue: dict[str, Any],
    target: NationalState,
    actor: str,
    reason: str | None = None,
    **fields: Any,
) -> tuple[dict[str, Any], list[tuple[NationalState, NationalState]]]:
    """Move an issue to target (through in_assessment if needed), auditing each step.

    Returns the issue as it now is and the steps taken, (from, to) each.
    """
    current = NationalState(issue["state"])
    at = now()
    values: dict[str, Any] = {}
    steps: list[tuple[NationalState, NationalState]] = []
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
        values.update(clock_fields({**issue, **values}, current, step, at))
        steps.append((current, step))
        current = step
    values.update({"state": target.value, "updated_at": at, **fields})
    await conn.execute(update(issues).where(issues.c.id == issue["id"]).values(**values))
    return {**issue, **values}, steps


def received_row(issue_id: str, actor: str, at: datetime) -> dict[str, Any]:
    """The first audit row: the escalation arrived."""
    return {
        "issue_id": issue_id,
        "from_state": None,
        "to_state": NationalState.RECEIVED.value,
        "actor": actor,
        "reason": "escalation received",
        "at": at,
    }


async def set_areas(conn: AsyncConnection, issue_id: str, areas: Iterable[str]) -> list[str]:
    """Replace the issue's areas (the JSON column and the rows the queue filters on)."""
    codes = list(dict.fromkeys(areas))
    await conn.execute(delete(issue_areas).where(issue_areas.c.issue_id == issue_id))
    if codes:
        await conn.execute(issue_areas.insert(), [{"issue_id": issue_id, "area": a} for a in codes])
    await conn.execute(update(issues).where(issues.c.id == issue_id).values(areas=codes))
    return codes


async def issue_detail(conn: AsyncConnection, issue_id: str) -> dict[str, Any]:
    """An issue with its audit trail, requests, amendments, links, assessments and breaches."""
    issue = await get_issue(conn, issue_id)

    async def rows(query: Any) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in await conn.execute(query)]

    tr, ir, am = transitions, information_requests, amendments
    issue["transitions"] = await rows(select(tr).where(tr.c.issue_id == issue_id).order_by(tr.c.id))
    issue["information_requests"] = await rows(
        select(ir).where(ir.c.issue_id == issue_id).order_by(ir.c.requested_at)
    )
    issue["amendments"] = await rows(select(am).where(am.c.issue_id == issue_id).order_by(am.c.id))
    issue["linked_issues"] = await linked_ids(conn, issue)
    issue["assessments"] = [
        r["assessment_id"]
        for r in await rows(
            select(assessment_links.c.assessment_id).where(assessment_links.c.issue_id == issue_id)
        )
    ]
    issue["sla_breaches"] = await rows(
        select(sla_breaches).where(sla_breaches.c.issue_id == issue_id)
    )
    return issue


async def linked_ids(conn: AsyncConnection, issue: dict[str, Any]) -> list[str]:
    """The other issues in this issue's link group."""
    if issue.get("link_group") is None:
        return []
    query = select(issues.c.id).where(
        issues.c.link_group == issue["link_group"], issues.c.id != issue["id"]
    )
    return [r.id for r in await conn.execute(query.order_by(issues.c.received_at))]


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
        select(acknowledgements)
        .where(acknowledgements.c.assessment_id == assessment_id)
        .order_by(acknowledgements.c.version, acknowledgements.c.region)
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
