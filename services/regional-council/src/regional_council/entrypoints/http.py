"""The regional council's HTTP API: routes only translate and call one command."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy import select

from regional_council.adapters import repository as repo
from regional_council.adapters.tables import consultations
from regional_council.entrypoints.responses import (
    AssessmentVersionOut,
    ConsultationOut,
    InformationRequestOut,
    IssueDetailOut,
    IssueOut,
)
from regional_council.entrypoints.schemas import (
    AmendmentIn,
    AnswerIn,
    EscalateNowIn,
    EscalationIn,
    NewIssueIn,
    ReasonIn,
    ViewsIn,
)
from regional_council.service_layer.commands import Escalation, NewIssue, RegionalCommands
from regional_council.service_layer.idempotency import IdempotencyKeyReused, IdempotentRequest
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["build_router"]


def _new_issue(body: NewIssueIn, region: str) -> NewIssue:
    if body.region is not None and body.region != region:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "region"),
                    "msg": f"this service serves region {region!r}, not {body.region!r}",
                    "input": body.region,
                }
            ]
        )
    return NewIssue(body.title, body.summary, list(body.areas))


def _escalation(body: EscalationIn) -> Escalation:
    return Escalation(
        reason_not_regional=body.reason_not_regional,
        requested_outcome=body.requested_outcome,
        measures_tried=body.measures_tried,
        urgency=body.urgency,
        affected_actor_types=tuple(body.affected_actor_types),
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Any unique string; a retry with the same key returns the first answer",
    ),
]


def _idempotent(
    principal: str, key: str | None, operation: str, body: BaseModel
) -> IdempotentRequest | None:
    return None if key is None else IdempotentRequest.of(principal, key, operation, body)


async def _answer_once(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await call
    except IdempotencyKeyReused as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("header", "idempotency-key"), "msg": str(exc)}]
        ) from exc


def build_router(commands: RegionalCommands, storage: Storage, guard: Any) -> APIRouter:
    """Every route of the API, behind the guard (operator token or a key of this region)."""
    router = APIRouter(dependencies=[Depends(guard)])
    region = commands.region

    @router.post("/issues", status_code=201, response_model=IssueOut, tags=["issues"])
    async def open_issue(
        body: NewIssueIn,
        idempotency_key: IdempotencyKey = None,
        principal: str = Depends(guard),
    ) -> dict[str, Any]:
        """Register an issue the region handles itself."""
        idem = _idempotent(principal, idempotency_key, "open", body)
        return await _answer_once(commands.open_issue(_new_issue(body, region), idem))

    @router.post("/escalations", status_code=201, response_model=IssueOut, tags=["issues"])
    async def escalate_now(
        body: EscalateNowIn,
        idempotency_key: IdempotencyKey = None,
        principal: str = Depends(guard),
    ) -> dict[str, Any]:
        """Register an issue and escalate it to the national council in one step."""
        idem = _idempotent(principal, idempotency_key, "open-and-escalate", body)
        new, esc = _new_issue(body, region), _escalation(body)
        return await _answer_once(commands.open_and_escalate(new, esc, idem))

    @router.post("/issues/{issue_id}/escalate", response_model=IssueOut, tags=["issues"])
    async def escalate(
        issue_id: IdPath,
        body: EscalationIn,
        idempotency_key: IdempotencyKey = None,
        principal: str = Depends(guard),
    ) -> dict[str, Any]:
        """Escalate an open issue."""
        idem = _idempotent(principal, idempotency_key, f"escalate {issue_id}", body)
        return await _answer_once(commands.escalate(issue_id, _escalation(body), idem))

    @router.post("/issues/{issue_id}/amend", response_model=IssueOut, tags=["issues"])
    async def amend(issue_id: IdPath, body: AmendmentIn) -> dict[str, Any]:
        """Add detail to an escalation."""
        return await commands.amend(issue_id, body.amendment)

    @router.post("/issues/{issue_id}/withdraw", response_model=IssueOut, tags=["issues"])
    async def withdraw(issue_id: IdPath, body: ReasonIn) -> dict[str, Any]:
        """Withdraw an escalation."""
        return await commands.withdraw(issue_id, body.reason)

    @router.post("/issues/{issue_id}/resolve", response_model=IssueOut, tags=["issues"])
    async def resolve(issue_id: IdPath, body: ReasonIn) -> dict[str, Any]:
        """Resolve an issue regionally."""
        return await commands.resolve(issue_id, body.reason)

    @router.post(
        "/issues/{issue_id}/information-requests/{request_id}/answer",
        response_model=IssueOut,
        tags=["dialogue"],
    )
    async def answer(issue_id: IdPath, request_id: IdPath, body: AnswerIn) -> dict[str, Any]:
        """Answer the national council's request for information."""
        return await commands.answer_request(issue_id, request_id, body.answer)

    @router.post(
        "/assessments/{assessment_id}/versions/{version}/acknowledge",
        response_model=AssessmentVersionOut,
        tags=["dialogue"],
    )
    async def acknowledge(
        assessment_id: IdPath, version: Annotated[int, Path(ge=1, le=1_000_000)]
    ) -> dict[str, Any]:
        """Confirm that the region received a national assessment version."""
        return await commands.acknowledge(assessment_id, version)

    @router.get("/issues", response_model=list[IssueOut], tags=["issues"])
    async def list_issues(
        state: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> list[dict[str, Any]]:
        """This region's issues, newest first."""
        async with storage.engine.connect() as conn:
            return await repo.list_issues(conn, region, state, limit)

    @router.get("/issues/{issue_id}", response_model=IssueDetailOut, tags=["issues"])
    async def get_issue(issue_id: IdPath) -> dict[str, Any]:
        """One issue with its information requests."""
        async with storage.engine.connect() as conn:
            return await repo.issue_detail(conn, region, issue_id)

    @router.get("/assessments", response_model=list[AssessmentVersionOut], tags=["dialogue"])
    async def list_assessments() -> list[dict[str, Any]]:
        """Every national assessment version this region received."""
        async with storage.engine.connect() as conn:
            return await repo.list_assessments(conn)

    @router.get(
        "/information-requests", response_model=list[InformationRequestOut], tags=["dialogue"]
    )
    async def open_requests() -> list[dict[str, Any]]:
        """The national council's unanswered questions to this region, soonest due first."""
        async with storage.engine.connect() as conn:
            return await repo.open_requests_of_region(conn, region)

    @router.post(
        "/consultations/{consultation_id}/respond",
        response_model=ConsultationOut,
        tags=["dialogue"],
    )
    async def respond(consultation_id: IdPath, body: ViewsIn) -> dict[str, Any]:
        """Give the region's views (synpunkter) on a consultation, before its deadline."""
        return await commands.respond(consultation_id, body.views)

    @router.get("/consultations", response_model=list[ConsultationOut], tags=["dialogue"])
    async def list_consultations() -> list[dict[str, Any]]:
        """Consultations the national council opened to this region."""
        async with storage.engine.connect() as conn:
            rows = await conn.execute(select(consultations).order_by(consultations.c.deadline))
            return [dict(r._mapping) for r in rows]

    return router
