"""The national council's HTTP API for the queue: read it, triage, own and move issues.

GET needs the reader role; working an issue needs triager (entrypoints.access). The audit
trail's "who" is the caller's username.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from national_council.adapters import repository as repo
from national_council.domain.model import NationalState, Priority
from national_council.entrypoints.access import Reader, Triager
from national_council.entrypoints.responses import (
    IssueDetailOut,
    IssueOut,
    QueueStatsOut,
    RequestCreatedOut,
)
from national_council.entrypoints.schemas import (
    AssignIn,
    InformationRequestIn,
    LinkIn,
    ReasonIn,
    TextIn,
    TriageIn,
)
from national_council.service_layer.commands import NationalCommands, Triage
from national_council.service_layer.queue import QueueFilter, present, queue_page, queue_stats
from samverkan_shared.contracts.base import AreaCode, RegionCode
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["build_router"]

Text = Annotated[str | None, Query(max_length=200, description="Words in title or summary")]


def build_router(commands: NationalCommands, storage: Storage, _guard: Any = None) -> APIRouter:
    """The queue routes; each route states the role it needs."""
    router = APIRouter()

    @router.get("/issues", response_model=list[IssueOut], tags=["queue"])
    async def list_issues(
        request: Request,
        response: Response,
        _: Reader,
        state: Annotated[list[NationalState], Query()] = [],  # noqa: B006 (FastAPI copies it)
        region: Annotated[list[RegionCode], Query()] = [],  # noqa: B006
        area: Annotated[list[AreaCode], Query()] = [],  # noqa: B006
        priority: Annotated[list[Priority], Query()] = [],  # noqa: B006
        assignee: Annotated[str | None, Query(max_length=64, description="'none': unowned")] = None,
        overdue: bool | None = None,
        q: Text = None,
        sort: Annotated[
            str,
            Query(
                description="received_at, updated_at, answer_by, "
                "acknowledge_by, priority; '-' for descending"
            ),
        ] = "received_at",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> list[dict[str, Any]]:
        """The queue, filtered and sorted; the next page's cursor is in ``X-Next-Cursor``."""
        wanted = QueueFilter(state, region, area, priority, assignee, overdue, q or None)
        async with storage.engine.connect() as conn:
            page = await queue_page(conn, wanted, sort, limit, cursor)
        if page.next_cursor:
            response.headers["X-Next-Cursor"] = page.next_cursor
            nxt = request.url.include_query_params(cursor=page.next_cursor)
            response.headers["Link"] = f'<{nxt}>; rel="next"'
        return [present(i) for i in page.items]

    @router.get("/issues/{issue_id}", response_model=IssueDetailOut, tags=["queue"])
    async def get_issue(issue_id: IdPath, _: Reader) -> dict[str, Any]:
        """One issue with its audit trail, requests, links, assessments and clock."""
        async with storage.engine.connect() as conn:
            return present(await repo.issue_detail(conn, issue_id))

    @router.get("/queue/stats", response_model=QueueStatsOut, tags=["queue"])
    async def stats(_: Reader) -> dict[str, Any]:
        """Issues per region and area, overdue count, median time to answer."""
        async with storage.engine.connect() as conn:
            return await queue_stats(conn)

    @router.post("/issues/{issue_id}/triage", response_model=IssueOut, tags=["queue"])
    async def triage(issue_id: IdPath, body: TriageIn, staff: Triager) -> dict[str, Any]:
        """Set priority, areas, owner; a received issue becomes triaged (acknowledged)."""
        t = Triage(body.priority, body.areas, body.assignee, body.reason)
        return present(await commands.triage(issue_id, t, staff.username))

    @router.post("/issues/{issue_id}/claim", response_model=IssueOut, tags=["queue"])
    async def claim(issue_id: IdPath, staff: Triager) -> dict[str, Any]:
        """Take an unowned issue; 409 naming the owner if someone else has it."""
        return present(await commands.claim(issue_id, staff.username))

    @router.post("/issues/{issue_id}/assign", response_model=IssueOut, tags=["queue"])
    async def assign(issue_id: IdPath, body: AssignIn, staff: Triager) -> dict[str, Any]:
        """Reassign (or unassign) an issue, with the reason."""
        return present(await commands.assign(issue_id, body.assignee, body.reason, staff.username))

    @router.post("/issues/{issue_id}/start-assessment", response_model=IssueOut, tags=["queue"])
    async def start(issue_id: IdPath, body: ReasonIn, staff: Triager) -> dict[str, Any]:
        """Into assessment: from received/triaged, back from awaiting_region, or reopened."""
        return present(await commands.start_assessment(issue_id, body.reason, staff.username))

    @router.post(
        "/issues/{issue_id}/information-requests",
        status_code=201,
        response_model=RequestCreatedOut,
        tags=["dialogue"],
    )
    async def request_information(
        issue_id: IdPath, body: InformationRequestIn, staff: Triager
    ) -> dict[str, Any]:
        """Ask the region for information; the issue waits on the region (clock paused)."""
        return present(
            await commands.request_information(issue_id, body.question, body.due_at, staff.username)
        )

    @router.post("/issues/{issue_id}/decline", response_model=IssueOut, tags=["dialogue"])
    async def decline(issue_id: IdPath, body: TextIn, staff: Triager) -> dict[str, Any]:
        """Return the escalation to the regional level with guidance."""
        return present(await commands.decline(issue_id, body.text, staff.username))

    @router.post("/issues/{issue_id}/close", response_model=IssueOut, tags=["dialogue"])
    async def close(issue_id: IdPath, body: TextIn, staff: Triager) -> dict[str, Any]:
        """Close an assessed issue with its resolution."""
        return present(await commands.close(issue_id, body.text, staff.username))

    @router.post("/issues/{issue_id}/links", response_model=IssueDetailOut, tags=["queue"])
    async def link(issue_id: IdPath, body: LinkIn, staff: Triager) -> dict[str, Any]:
        """Link another escalation about the same problem (one assessment answers both)."""
        return present(await commands.link(issue_id, body.issue_id, staff.username))

    @router.delete("/issues/{issue_id}/links", response_model=IssueOut, tags=["queue"])
    async def unlink(issue_id: IdPath, staff: Triager) -> dict[str, Any]:
        """Take the issue out of its link group."""
        return present(await commands.unlink(issue_id, staff.username))

    return router
