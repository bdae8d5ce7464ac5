"""The issue page: facts, timeline, audit trail, and what staff can do with the issue."""

# No `from __future__ import annotations`: the role dependencies are local Annotated
# aliases, and FastAPI must see them evaluated, not as strings to resolve in the globals.

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from national_council.adapters import repository as repo
from national_council.domain.model import OPEN_STATES, NationalState, Priority
from national_council.domain.sla import Clock
from national_council.domain.staff import Role
from national_council.entrypoints.web import SECURITY_HEADERS, Web
from national_council.entrypoints.web_forms import end_of_day, one, required
from national_council.entrypoints.web_timeline import timeline
from national_council.service_layer.accounts import WebSession
from national_council.service_layer.commands import NationalCommands, Triage
from national_council.service_layer.queue import QueueFilter, queue_page
from samverkan_shared.http import IdPath
from samverkan_shared.statemachine import Conflict, InvalidInput, NotFound
from samverkan_shared.uow import Storage

__all__ = ["build_issue_pages", "load_issue"]


LINK_SUGGESTIONS = 8
_ISSUE_ID = re.compile(r"^[0-9a-fA-F-]{36}$")


async def load_issue(storage: Storage, issue_id: str) -> dict[str, Any]:
    """The issue with its trail, the assessments answering it, its clock and its timeline.

    Also the issues linked with it (title, region, state) and, while it is open, the newest
    open issues in the same areas: the likely duplicates staff would link.
    """
    async with storage.engine.connect() as conn:
        issue = await repo.issue_detail(conn, issue_id)
        answering = [await repo.assessment_detail(conn, a) for a in issue["assessments"]]
        linked = [await repo.get_issue(conn, other) for other in issue["linked_issues"]]
        candidates: list[dict[str, Any]] = []
        if NationalState(issue["state"]) in OPEN_STATES and issue["areas"]:
            near = QueueFilter(states=sorted(OPEN_STATES), areas=list(issue["areas"]))
            page = await queue_page(conn, near, "-received_at", LINK_SUGGESTIONS + 10)
            taken = {issue["id"], *issue["linked_issues"]}
            candidates = [c for c in page.items if c["id"] not in taken][:LINK_SUGGESTIONS]
    issue["clock"] = Clock.of(issue, datetime.now(UTC))
    issue["priority_name"] = Priority.of_rank(issue["priority"]).value
    return {
        "issue": issue,
        "answering": answering,
        "timeline": timeline(issue, answering),
        "linked": linked,
        "link_candidates": candidates,
    }


def build_issue_pages(web: Web, storage: Storage, commands: NationalCommands) -> APIRouter:
    """``/ui/issues/{id}`` and its actions (plain forms, or htmx swapping the main part)."""
    router = APIRouter(prefix="/ui/issues", include_in_schema=False)
    Reader = Annotated[WebSession, Depends(web.requires(Role.READER))]  # noqa: N806
    Triager = Annotated[WebSession, Depends(web.requires(Role.TRIAGER))]  # noqa: N806

    async def show(
        request: Request,
        session: WebSession,
        issue_id: str,
        status_code: int = 200,
        error: str | None = None,
        notice: str | None = None,
    ) -> Response:
        try:
            data = await load_issue(storage, issue_id)
        except NotFound:
            return web.render(request, "not_found.html", session, 404)
        fragment = bool(request.headers.get("hx-request"))
        name = "_issue_main.html" if fragment else "issue.html"
        return web.render(request, name, session, status_code, error=error, notice=notice, **data)

    async def act(
        request: Request,
        session: WebSession,
        issue_id: str,
        action: Callable[[Any], Awaitable[Any]],
        notice: str,
    ) -> Response:
        """Run an action with the submitted form; answer with the issue as it is now."""
        form = await request.form()
        try:
            await action(form)
        except InvalidInput as exc:
            return await show(
                request, session, issue_id, 422, error=f"{exc.loc[-1]}: {exc.message}"
            )
        except Conflict as exc:
            return await show(request, session, issue_id, 409, error=str(exc))
        except NotFound:
            return web.render(request, "not_found.html", session, 404)
        if request.headers.get("hx-request"):
            return await show(request, session, issue_id, notice=notice)
        # Plain form: post/redirect/get, so a reload does not send it twice.
        return RedirectResponse(f"/ui/issues/{issue_id}", status_code=303, headers=SECURITY_HEADERS)

    @router.get("/{issue_id}", response_class=HTMLResponse)
    async def issue_page(request: Request, issue_id: IdPath, session: Reader) -> Response:
        """One issue: facts, service-level clock, timeline and audit trail."""
        return await show(request, session, issue_id)

    @router.post("/{issue_id}/information-requests", response_class=HTMLResponse)
    async def request_information(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Ask the region for information by a date."""

        async def run(form: Any) -> Any:
            question = required(form, "question")
            due = end_of_day(form, "due_date")
            return await commands.request_information(
                issue_id, question, due, session.staff.username
            )

        return await act(request, session, issue_id, run, "information_requested")

    @router.post("/{issue_id}/claim", response_class=HTMLResponse)
    async def claim(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Take the issue."""
        return await act(
            request,
            session,
            issue_id,
            lambda _: commands.claim(issue_id, session.staff.username),
            "claimed",
        )

    @router.post("/{issue_id}/triage", response_class=HTMLResponse)
    async def triage(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Set priority and assignee."""

        async def run(form: Any) -> Any:
            try:
                priority = Priority(one(form, "priority")) if one(form, "priority") else None
            except ValueError as exc:
                raise InvalidInput(("form", "priority"), "unknown priority") from exc
            assignee = one(form, "assignee") or None
            return await commands.triage(
                issue_id,
                Triage(priority=priority, assignee=assignee, reason=one(form, "reason") or None),
                session.staff.username,
            )

        return await act(request, session, issue_id, run, "saved")

    @router.post("/{issue_id}/start", response_class=HTMLResponse)
    async def start(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Take the issue into assessment."""
        return await act(
            request,
            session,
            issue_id,
            lambda form: commands.start_assessment(
                issue_id, one(form, "reason") or None, session.staff.username
            ),
            "saved",
        )

    @router.post("/{issue_id}/decline", response_class=HTMLResponse)
    async def decline(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Return the escalation to the region with guidance."""

        async def run(form: Any) -> Any:
            return await commands.decline(
                issue_id, required(form, "guidance"), session.staff.username
            )

        return await act(request, session, issue_id, run, "saved")

    @router.post("/{issue_id}/links", response_class=HTMLResponse)
    async def link(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Link another escalation about the same problem (one assessment answers both)."""

        async def run(form: Any) -> Any:
            other = required(form, "other_issue", 36)
            if not _ISSUE_ID.fullmatch(other):
                raise InvalidInput(("form", "other_issue"), "must be an issue ID (36 characters)")
            try:
                return await commands.link(issue_id, other.lower(), session.staff.username)
            except NotFound as exc:
                # The page's own issue exists (it was just shown); the typed one does not.
                raise InvalidInput(("form", "other_issue"), f"no issue {other}") from exc

        return await act(request, session, issue_id, run, "saved")

    @router.post("/{issue_id}/unlink", response_class=HTMLResponse)
    async def unlink(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Take the issue out of its link group."""
        return await act(
            request,
            session,
            issue_id,
            lambda _: commands.unlink(issue_id, session.staff.username),
            "saved",
        )

    @router.post("/{issue_id}/close", response_class=HTMLResponse)
    async def close(request: Request, issue_id: IdPath, session: Triager) -> Response:
        """Close an assessed issue with its resolution."""

        async def run(form: Any) -> Any:
            return await commands.close(
                issue_id, required(form, "resolution"), session.staff.username
            )

        return await act(request, session, issue_id, run, "saved")

    return router
