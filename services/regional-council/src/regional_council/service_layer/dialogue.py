"""What the national council tells this region, applied to the region's issues."""

from __future__ import annotations

from sqlalchemy import bindparam, update

from regional_council.adapters import repository as repo
from regional_council.adapters.tables import (
    assessments,
    consultations,
    information_requests,
    issues,
    plan_areas,
)
from regional_council.domain.model import LIFECYCLE, RegionalState
from samverkan_shared.areas import add_plan_areas
from samverkan_shared.contracts import (
    AssessmentPublished,
    AssessmentRevised,
    ConsultationOpened,
    EscalationDeclined,
    EscalationReceived,
    Event,
    InformationRequested,
    IssueClosed,
    IssueProgressed,
    OperatingPlanPublished,
    ServiceLevelBreached,
)
from samverkan_shared.contracts.base import IssueEvent
from samverkan_shared.db import insert_ignore
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope
from samverkan_shared.errors import Rejected
from samverkan_shared.rawsql import Compiled
from samverkan_shared.statemachine import NotFound
from samverkan_shared.uow import UnitOfWork

__all__ = ["DownstreamHandler"]

# The national state each issue event implies (issue.progressed carries its own).
_NATIONAL_STATE: dict[type[Event], str] = {
    EscalationReceived: "received",
    InformationRequested: "awaiting_region",
    EscalationDeclined: "declined",
    IssueClosed: "closed",
}

# Every escalation gets a receipt: its statement is built once, not for each receipt.
_RECEIPT = Compiled(  # on asyncpg itself (PostgreSQL): every escalation gets a receipt
    update(issues)
    .where(issues.c.region == bindparam("b_region"), issues.c.id == bindparam("b_id"))
    .values(
        national_reference=bindparam("b_reference"),
        acknowledge_by=bindparam("b_acknowledge_by"),
        answer_by=bindparam("b_answer_by"),
        national_state=_NATIONAL_STATE[EscalationReceived],
        updated_at=bindparam("b_updated_at"),
    )
)


class DownstreamHandler:
    """Applies one downstream event; refuses anything not addressed to this region."""

    def __init__(self, region: str) -> None:
        self.region = region

    async def __call__(self, uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        if env.source != NATIONAL_SOURCE:
            raise Rejected(f"ce_source {env.source!r} may not write to {topic}")
        self._check_addressed(event)
        # NotFound and IllegalTransition propagate: the consumer dead-letters them as rejected.
        await self._dispatch(uow, event)

    def _check_addressed(self, event: Event) -> None:
        regions = getattr(event, "addressed_regions", None)
        if regions is None and isinstance(event, IssueEvent):
            regions = [event.region]
        if regions is not None and self.region not in regions:
            raise Rejected(f"addressed to {sorted(regions)}, not to {self.region!r}")

    async def _dispatch(self, uow: UnitOfWork, event: Event) -> None:
        await self._apply(uow, event)
        state = None if isinstance(event, EscalationReceived) else _NATIONAL_STATE.get(type(event))
        if isinstance(event, IssueProgressed):
            state = event.to_state
        if state is not None and isinstance(event, IssueEvent):
            await uow.conn.execute(
                update(issues)
                .where(issues.c.region == self.region, issues.c.id == str(event.issue_id))
                .values(national_state=state)
            )

    async def _apply(self, uow: UnitOfWork, event: Event) -> None:
        match event:
            case EscalationReceived():
                await self._received(uow, event)
            case InformationRequested():
                await self._information_requested(uow, event)
            case EscalationDeclined():
                issue = await repo.get_issue(uow.conn, self.region, str(event.issue_id))
                await repo.move(uow.conn, issue, RegionalState.OPEN, guidance=event.guidance)
            case IssueClosed():
                issue = await repo.get_issue(uow.conn, self.region, str(event.issue_id))
                await repo.move(
                    uow.conn, issue, RegionalState.RESOLVED, resolution=event.resolution
                )
            case AssessmentPublished() | AssessmentRevised():
                await self._assessment(uow, event)
            case ConsultationOpened():
                await uow.conn.execute(
                    insert_ignore(
                        uow.conn,
                        consultations,
                        id=str(event.consultation_id),
                        question=event.question,
                        areas=list(event.areas),
                        deadline=event.deadline,
                        received_at=repo.now(),
                    )
                )
            case OperatingPlanPublished():
                # Its focus areas become valid areas for this region's escalations.
                focus = [(a.code, a.name) for a in event.focus_areas]
                await add_plan_areas(uow.conn, plan_areas, event.year, focus, repo.now())
            case IssueProgressed():
                await repo.get_issue(uow.conn, self.region, str(event.issue_id))  # must exist
            case ServiceLevelBreached():
                pass  # for national staff and notifications; the region's issue is unchanged
            case _:
                raise Rejected(f"{event.event_type()} is not a downstream event")

    async def _received(self, uow: UnitOfWork, event: EscalationReceived) -> None:
        # One statement, national state included: every escalation gets this receipt.
        done = await _RECEIPT.rowcount(
            uow.conn,
            {
                "b_region": self.region,
                "b_id": str(event.issue_id),
                "b_reference": str(event.national_reference),
                "b_acknowledge_by": event.acknowledge_by,
                "b_answer_by": event.answer_by,
                "b_updated_at": repo.now(),
            },
        )
        if not done:
            raise NotFound(f"issue {event.issue_id} not found")

    async def _information_requested(self, uow: UnitOfWork, event: InformationRequested) -> None:
        issue = await repo.get_issue(uow.conn, self.region, str(event.issue_id))
        await uow.conn.execute(
            information_requests.insert().values(
                id=str(event.request_id),
                issue_id=issue["id"],
                question=event.question,
                due_at=event.due_at,
                requested_at=repo.now(),
            )
        )
        if issue["state"] != RegionalState.INFORMATION_REQUESTED:
            await repo.move(uow.conn, issue, RegionalState.INFORMATION_REQUESTED)

    async def _assessment(
        self, uow: UnitOfWork, event: AssessmentPublished | AssessmentRevised
    ) -> None:
        # Deferred: written with the batch's other rows in one statement at flush.
        uow.defer(
            assessments,
            dict(
                assessment_id=str(event.assessment_id),
                version=event.assessment_version,
                title=event.title,
                summary=event.summary,
                recommendation=event.recommendation,
                areas=list(event.areas),
                addressed_regions=list(event.addressed_regions),
                answers=[a.model_dump(mode="json") for a in event.answers],
                fingerprint=event.fingerprint,
                change_note=getattr(event, "change_note", None),
                published_at=event.published_at,
                received_at=repo.now(),
            ),
        )
        for ref in event.answers:
            if ref.region == self.region:
                await self._answered(uow, str(ref.issue_id))

    async def _answered(self, uow: UnitOfWork, issue_id: str) -> None:
        issue = await repo.get_issue(uow.conn, self.region, issue_id)
        state = RegionalState(issue["state"])
        if LIFECYCLE.can(state, RegionalState.ANSWERED):
            await repo.move(uow.conn, issue, RegionalState.ANSWERED)
        await uow.conn.execute(
            update(issues).where(issues.c.id == issue["id"]).values(national_state="assessed")
        )
