"""What national staff do with an issue of the queue; each command is one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import update

from national_council.adapters import repository as repo
from national_council.adapters.tables import information_requests, issues, plan_areas
from national_council.domain.model import LIFECYCLE, OPEN_STATES, NationalState, Priority
from national_council.service_layer.transitions import emit_to, issue_ref, move
from samverkan_shared.areas import check_areas
from samverkan_shared.contracts import EscalationDeclined, Event, InformationRequested, IssueClosed
from samverkan_shared.statemachine import Conflict
from samverkan_shared.uow import Storage, UnitOfWork

__all__ = ["NationalCommands", "Triage"]

_S = NationalState
Issue = dict[str, Any]


class Triage:
    """What triage sets; None leaves a field as it is."""

    def __init__(
        self,
        priority: Priority | None = None,
        areas: list[str] | None = None,
        assignee: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.priority, self.areas, self.assignee, self.reason = priority, areas, assignee, reason


def _require_open(issue: Issue, doing: str) -> None:
    """Changes to ownership and triage are for issues still in the queue."""
    if NationalState(issue["state"]) not in OPEN_STATES:
        raise Conflict(f"issue {issue['id']} is '{issue['state']}'; it cannot be {doing}")


class NationalCommands:
    """The use cases of the national secretariat on single issues."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def _on(self, issue_id: str, work: Callable[[UnitOfWork, Issue], Any]) -> Issue:
        """Run work on the locked issue in one transaction; return the issue as it ends."""
        async with self.storage.unit_of_work() as uow:
            issue = await repo.get_issue(uow.conn, issue_id, lock=True)
            result: Issue = await work(uow, issue)
            await uow.commit()
        return result

    async def triage(self, issue_id: str, triage: Triage, actor: str) -> Issue:
        """Set priority, areas and owner; a received issue becomes triaged (acknowledged)."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            _require_open(issue, "triaged")
            changes: dict[str, Any] = {}
            if triage.priority is not None:
                changes["priority"] = triage.priority.rank
            if triage.assignee is not None:
                changes["assignee"] = triage.assignee
            if triage.areas is not None:
                await check_areas(uow.conn, plan_areas, triage.areas)
                changes["areas"] = await repo.set_areas(uow.conn, issue["id"], triage.areas)
            note = _describe(changes) + (f" — {triage.reason}" if triage.reason else "")
            if issue["state"] == _S.RECEIVED:
                return await move(uow, issue, _S.TRIAGED, actor, note, **changes)
            await _update(uow, issue, changes)
            await repo.audit(uow.conn, issue, "triage", actor, note)
            return {**issue, **changes}

        return await self._on(issue_id, work)

    async def claim(self, issue_id: str, actor: str) -> Issue:
        """Take an unowned issue (or one already yours); someone else's needs reassigning."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            _require_open(issue, "claimed")
            owner = issue["assignee"]
            if owner not in (None, actor):
                raise Conflict(f"issue {issue['id']} is assigned to {owner!r}; reassign it instead")
            changes = {"assignee": actor}
            await _update(uow, issue, changes)
            await repo.audit(uow.conn, issue, "claim", actor, f"claimed by {actor}")
            return {**issue, **changes}

        return await self._on(issue_id, work)

    async def assign(self, issue_id: str, assignee: str | None, reason: str, actor: str) -> Issue:
        """Give the issue to someone (or to nobody), with the reason in the audit trail."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            _require_open(issue, "reassigned")
            changes = {"assignee": assignee}
            await _update(uow, issue, changes)
            what = f"assigned to {assignee}" if assignee else "unassigned"
            note = f"{what} (was {issue['assignee'] or 'nobody'}) — {reason}"
            await repo.audit(uow.conn, issue, "assign", actor, note)
            return {**issue, **changes}

        return await self._on(issue_id, work)

    async def start_assessment(self, issue_id: str, reason: str | None, actor: str) -> Issue:
        """Take the issue into assessment (also: stop waiting on the region, or reopen)."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            LIFECYCLE.check(NationalState(issue["state"]), _S.IN_ASSESSMENT)
            return await move(uow, issue, _S.IN_ASSESSMENT, actor, reason or "assessment started")

        return await self._on(issue_id, work)

    async def request_information(
        self, issue_id: str, question: str, due_at: datetime, actor: str
    ) -> Issue:
        """Ask the region a question; the issue waits on the region (its answer clock pauses)."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            if issue["state"] != _S.AWAITING_REGION:
                issue = await move(uow, issue, _S.AWAITING_REGION, actor, "information requested")
            request_id = uuid4()
            await uow.conn.execute(
                information_requests.insert().values(
                    id=str(request_id),
                    issue_id=issue_id,
                    question=question,
                    due_at=due_at,
                    requested_at=repo.now(),
                )
            )
            event = InformationRequested(
                **issue_ref(issue), request_id=request_id, question=question, due_at=due_at
            )
            await emit_to(uow, issue["region"], event, issue["correlation_id"])
            return {**issue, "request_id": str(request_id)}

        return await self._on(issue_id, work)

    async def decline(self, issue_id: str, guidance: str, actor: str) -> Issue:
        """Return the escalation to the regional level, with guidance."""

        def event(issue: Issue) -> Event:
            return EscalationDeclined(**issue_ref(issue), guidance=guidance, declined_at=repo.now())

        return await self._end(issue_id, _S.DECLINED, guidance, actor, event)

    async def close(self, issue_id: str, resolution: str, actor: str) -> Issue:
        """Close an assessed issue with its resolution."""

        def event(issue: Issue) -> Event:
            return IssueClosed(**issue_ref(issue), resolution=resolution, closed_at=repo.now())

        return await self._end(issue_id, _S.CLOSED, resolution, actor, event)

    async def _end(
        self,
        issue_id: str,
        target: NationalState,
        text: str,
        actor: str,
        event: Callable[[Issue], Event],
    ) -> Issue:
        """Move an issue to an end state and tell its region, in one transaction."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            moved = await move(uow, issue, target, actor, text, resolution=text)
            await emit_to(uow, issue["region"], event(moved), issue["correlation_id"])
            return moved

        return await self._on(issue_id, work)

    async def link(self, issue_id: str, other_id: str, actor: str) -> Issue:
        """Link two escalations about the same problem (their groups merge)."""
        if issue_id == other_id:
            raise Conflict("an issue cannot be linked to itself")
        async with self.storage.unit_of_work() as uow:
            first = await repo.get_issue(uow.conn, issue_id, lock=True)
            other = await repo.get_issue(uow.conn, other_id, lock=True)
            group = first["link_group"] or other["link_group"] or first["id"]
            members = [g for g in (first["link_group"], other["link_group"]) if g] or [group]
            await uow.conn.execute(
                update(issues)
                .where(issues.c.link_group.in_(members) | issues.c.id.in_([issue_id, other_id]))
                .values(link_group=group, updated_at=repo.now())
            )
            await repo.audit(uow.conn, first, "link", actor, f"linked with {other_id}")
            await repo.audit(uow.conn, other, "link", actor, f"linked with {issue_id}")
            await uow.commit()
        async with self.storage.engine.connect() as conn:
            return await repo.issue_detail(conn, issue_id)

    async def unlink(self, issue_id: str, actor: str) -> Issue:
        """Take an issue out of its link group."""

        async def work(uow: UnitOfWork, issue: Issue) -> Issue:
            if issue["link_group"] is None:
                raise Conflict(f"issue {issue['id']} is not linked")
            await _update(uow, issue, {"link_group": None})
            await repo.audit(uow.conn, issue, "unlink", actor, "removed from its link group")
            return {**issue, "link_group": None}

        return await self._on(issue_id, work)


async def _update(uow: UnitOfWork, issue: Issue, changes: dict[str, Any]) -> None:
    values = {**changes, "updated_at": repo.now()}
    await uow.conn.execute(update(issues).where(issues.c.id == issue["id"]).values(**values))


def _describe(changes: dict[str, Any]) -> str:
    """The audit note of a triage: what was set."""
    parts = []
    if "priority" in changes:
        parts.append(f"priority {Priority.of_rank(changes['priority']).value}")
    if "areas" in changes:
        parts.append(f"areas {', '.join(changes['areas'])}")
    if "assignee" in changes:
        parts.append(f"assignee {changes['assignee']}")
    return "triaged: " + ("; ".join(parts) or "no changes")
