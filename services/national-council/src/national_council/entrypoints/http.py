"""The national council's HTTP API: the queue, the dialogue and assessments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from national_council.adapters import repository as repo
from national_council.entrypoints.responses import (
    AssessmentDetailOut,
    IssueDetailOut,
    IssueOut,
    PublishedAssessmentOut,
    RequestCreatedOut,
)
from national_council.entrypoints.schemas import AssessmentIn, InformationRequestIn, TextIn
from national_council.service_layer.commands import NationalCommands, NewAssessment
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["build_router"]

STAFF = "national-staff"  # until staff accounts exist (issue 3), the API token is one actor


def build_router(commands: NationalCommands, storage: Storage, guard: Any) -> APIRouter:
    """Every route of the API, behind the bearer-token guard."""
    router = APIRouter(dependencies=[Depends(guard)])

    @router.get("/issues", response_model=list[IssueOut], tags=["queue"])
    async def list_issues(
        state: str | None = None,
        region: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict[str, Any]]:
        """The national queue, oldest first."""
        async with storage.engine.connect() as conn:
            return await repo.list_issues(conn, state, region, limit)

    @router.get("/issues/{issue_id}", response_model=IssueDetailOut, tags=["queue"])
    async def get_issue(issue_id: IdPath) -> dict[str, Any]:
        """One issue with its audit trail and information requests."""
        async with storage.engine.connect() as conn:
            return await repo.issue_detail(conn, issue_id)

    @router.post(
        "/issues/{issue_id}/information-requests",
        status_code=201,
        response_model=RequestCreatedOut,
        tags=["dialogue"],
    )
    async def request_information(issue_id: IdPath, body: InformationRequestIn) -> dict[str, Any]:
        """Ask the region for information; the issue waits on the region."""
        return await commands.request_information(issue_id, body.question, body.due_at, STAFF)

    @router.post("/issues/{issue_id}/decline", response_model=IssueOut, tags=["dialogue"])
    async def decline(issue_id: IdPath, body: TextIn) -> dict[str, Any]:
        """Return the escalation to the regional level with guidance."""
        return await commands.decline(issue_id, body.text, STAFF)

    @router.post("/issues/{issue_id}/close", response_model=IssueOut, tags=["dialogue"])
    async def close(issue_id: IdPath, body: TextIn) -> dict[str, Any]:
        """Close an assessed issue with its resolution."""
        return await commands.close(issue_id, body.text, STAFF)

    @router.post(
        "/assessments",
        status_code=201,
        response_model=PublishedAssessmentOut,
        tags=["assessments"],
    )
    async def publish(body: AssessmentIn) -> dict[str, Any]:
        """Publish an assessment to one, several or all regions."""
        new = NewAssessment(
            body.title,
            body.summary,
            body.recommendation,
            list(body.areas),
            list(dict.fromkeys(body.regions)),
            list(dict.fromkeys(body.answers)),
        )
        return await commands.publish_assessment(new, STAFF)

    @router.get(
        "/assessments/{assessment_id}", response_model=AssessmentDetailOut, tags=["assessments"]
    )
    async def get_assessment(assessment_id: IdPath) -> dict[str, Any]:
        """Versions, answered issues and acknowledgements of an assessment."""
        async with storage.engine.connect() as conn:
            return await repo.assessment_detail(conn, assessment_id)

    return router
