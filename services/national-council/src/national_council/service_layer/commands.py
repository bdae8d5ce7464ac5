"""What national staff do with the queue; each command is one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from national_council.adapters import repository as repo
from national_council.adapters.tables import assessment_links, assessments, information_requests
from national_council.domain.model import NationalState, fingerprint
from samverkan_shared.contracts import (
    AssessmentPublished,
    EscalationDeclined,
    Event,
    InformationRequested,
    IssueClosed,
)
from samverkan_shared.contracts.base import AssessmentRef
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope
from samverkan_shared.registry import load_regions
from samverkan_shared.statemachine import Conflict
from samverkan_shared.topics import downstream
from samverkan_shared.uow import Storage, UnitOfWork

__all__ = ["NationalCommands", "NewAssessment"]


@dataclass(frozen=True)
class NewAssessment:
    """A national assessment as staff write it."""

    title: str
    summary: str
    recommendation: str
    areas: list[str]
    regions: list[str]  # empty means every region
    answers: list[str]  # national issue ids it answers


async def _emit_to(
    uow: UnitOfWork,
    region: str,
    event: Event,
    correlation_id: str | None,
    fanout: str | None = None,
) -> None:
    env = Envelope.wrap(event, NATIONAL_SOURCE, correlation_id=correlation_id, fanout_id=fanout)
    await uow.emit(downstream(region), env)


def _issue_ref(issue: dict[str, Any]) -> dict[str, Any]:
    """The fields every issue event carries: the region's id, the region, our reference."""
    return {
        "issue_id": UUID(issue["regional_issue_id"]),
        "region": issue["region"],
        "national_reference": UUID(issue["id"]),
    }


class NationalCommands:
    """The use cases of the national secretariat."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def request_information(
        self, issue_id: str, question: str, due_at: datetime, actor: str
    ) -> dict[str, Any]:
        """Ask the region a question; the issue waits on the region."""
        async with self.storage.unit_of_work() as uow:
            issue = await repo.get_issue(uow.conn, issue_id)
            if issue["state"] != NationalState.AWAITING_REGION:
                issue = await repo.advance(
                    uow.conn, issue, NationalState.AWAITING_REGION, actor, "information requested"
                )
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
                issue_id=UUID(issue["regional_issue_id"]),
                region=issue["region"],
                national_reference=UUID(issue_id),
                request_id=request_id,
                question=question,
                due_at=due_at,
            )
            await _emit_to(uow, issue["region"], event, issue["correlation_id"])
            await uow.commit()
        return {**issue, "request_id": str(request_id)}

    async def decline(self, issue_id: str, guidance: str, actor: str) -> dict[str, Any]:
        """Return the escalation to the regional level, with guidance."""

        def event(issue: dict[str, Any]) -> Event:
            return EscalationDeclined(
                **_issue_ref(issue), guidance=guidance, declined_at=repo.now()
            )

        return await self._end(issue_id, NationalState.DECLINED, guidance, actor, event)

    async def close(self, issue_id: str, resolution: str, actor: str) -> dict[str, Any]:
        """Close an assessed issue with its resolution."""

        def event(issue: dict[str, Any]) -> Event:
            return IssueClosed(**_issue_ref(issue), resolution=resolution, closed_at=repo.now())

        return await self._end(issue_id, NationalState.CLOSED, resolution, actor, event)

    async def _end(
        self,
        issue_id: str,
        target: NationalState,
        text: str,
        actor: str,
        event: Callable[[dict[str, Any]], Event],
    ) -> dict[str, Any]:
        """Move an issue to an end state and tell its region, in one transaction."""
        async with self.storage.unit_of_work() as uow:
            issue = await repo.get_issue(uow.conn, issue_id)
            issue = await repo.advance(uow.conn, issue, target, actor, text, resolution=text)
            await _emit_to(uow, issue["region"], event(issue), issue["correlation_id"])
            await uow.commit()
        return issue

    async def publish_assessment(self, new: NewAssessment, actor: str) -> dict[str, Any]:
        """Publish version 1 to the addressed regions; the issues it answers become assessed."""
        regions = new.regions or [r.code for r in load_regions()]
        assessment_id = uuid4()
        at = repo.now()
        digest = fingerprint(new.title, new.summary, new.recommendation, new.areas)
        async with self.storage.unit_of_work() as uow:
            answered = [await self._answer(uow, i, str(assessment_id), actor) for i in new.answers]
            await uow.conn.execute(
                assessments.insert().values(
                    id=str(assessment_id),
                    version=1,
                    title=new.title,
                    summary=new.summary,
                    recommendation=new.recommendation,
                    areas=new.areas,
                    addressed_regions=regions,
                    fingerprint=digest,
                    published_by=actor,
                    published_at=at,
                )
            )
            event = AssessmentPublished(
                assessment_id=assessment_id,
                assessment_version=1,
                title=new.title,
                summary=new.summary,
                recommendation=new.recommendation,
                areas=new.areas,
                addressed_regions=regions,
                answers=[
                    AssessmentRef(region=i["region"], issue_id=UUID(i["regional_issue_id"]))
                    for i in answered
                ],
                fingerprint=digest,
                published_at=at,
            )
            fanout = str(uuid4())
            for region in regions:
                await _emit_to(uow, region, event, None, fanout)
            await uow.commit()
        return {
            "id": str(assessment_id),
            "version": 1,
            "fingerprint": digest,
            "addressed_regions": regions,
            "answers": [i["id"] for i in answered],
        }

    async def _answer(
        self, uow: UnitOfWork, issue_id: str, assessment_id: str, actor: str
    ) -> dict[str, Any]:
        issue = await repo.get_issue(uow.conn, issue_id)
        linked = await uow.conn.execute(
            select(assessment_links).where(assessment_links.c.issue_id == issue_id)
        )
        if linked.first() is not None and issue["state"] == NationalState.ASSESSED:
            raise Conflict(f"issue {issue_id} is already answered by an assessment")
        await uow.conn.execute(
            assessment_links.insert().values(assessment_id=assessment_id, issue_id=issue_id)
        )
        return await repo.advance(
            uow.conn,
            issue,
            NationalState.ASSESSED,
            actor,
            f"answered by assessment {assessment_id}",
        )
