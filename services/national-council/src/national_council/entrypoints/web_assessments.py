"""The assessment editor: draft, edit, publish to regions, and revise (a new version)."""

# No `from __future__ import annotations`: the role dependencies are local Annotated
# aliases, and FastAPI must see them evaluated, not as strings to resolve in the globals.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from national_council.adapters import repository as repo
from national_council.domain.staff import Role
from national_council.entrypoints.web import SECURITY_HEADERS, Web
from national_council.entrypoints.web_forms import many, one, required
from national_council.service_layer.accounts import WebSession
from national_council.service_layer.assessment_list import (
    assessment_summaries,
    open_drafts,
)
from national_council.service_layer.assessment_list import draft as load_draft
from national_council.service_layer.assessments import AssessmentCommands, NewAssessment
from samverkan_shared.http import IdPath
from samverkan_shared.registry import load_areas
from samverkan_shared.statemachine import Conflict, InvalidInput, NotFound
from samverkan_shared.uow import Storage

__all__ = ["assessment_from_form", "build_assessment_pages"]


def assessment_from_form(form: FormData) -> NewAssessment:
    """The editor's fields as the service layer takes them (errors name the field)."""
    areas = many(form, "areas")
    if not areas:
        raise InvalidInput(("form", "areas"), "choose at least one area")
    answers = [a for line in one(form, "answers").split() for a in line.split(",") if a]
    return NewAssessment(
        title=required(form, "title", 200),
        summary=required(form, "summary"),
        recommendation=required(form, "recommendation"),
        areas=areas,
        regions=many(form, "regions"),  # none ticked: every region
        answers=answers,
        change_note=one(form, "change_note") or None,
    )


def _echo(form: FormData | None) -> dict[str, Any]:
    """What was typed, to show the form again after an error."""
    if form is None:
        return {
            "title": "",
            "summary": "",
            "recommendation": "",
            "areas": [],
            "regions": [],
            "answers": "",
            "change_note": "",
        }
    return {
        "title": one(form, "title"),
        "summary": one(form, "summary"),
        "recommendation": one(form, "recommendation"),
        "areas": many(form, "areas"),
        "regions": many(form, "regions"),
        "answers": one(form, "answers"),
        "change_note": one(form, "change_note"),
    }


def build_assessment_pages(web: Web, storage: Storage, commands: AssessmentCommands) -> APIRouter:
    """``/ui/assessments/…``: reading for everyone, writing for assessors."""
    router = APIRouter(prefix="/ui/assessments", include_in_schema=False)
    Reader = Annotated[WebSession, Depends(web.requires(Role.READER))]  # noqa: N806
    Assessor = Annotated[WebSession, Depends(web.requires(Role.ASSESSOR))]  # noqa: N806

    def editor(
        request: Request,
        session: WebSession,
        values: dict[str, Any],
        *,
        status_code: int = 200,
        error: str | None = None,
        draft: dict[str, Any] | None = None,
        revises: str | None = None,
    ) -> Response:
        return web.render(
            request,
            "assessment_editor.html",
            session,
            status_code,
            values=values,
            error=error,
            draft=draft,
            revises=revises,
            areas=load_areas(),
        )

    @router.get("", response_class=HTMLResponse)
    async def index(request: Request, session: Reader) -> Response:
        """Published assessments (latest versions, ``?q=`` on the title) and open drafts."""
        target = (request.query_params.get("id") or "").strip()
        if target:
            return RedirectResponse(f"/ui/assessments/{target}", 303, headers=SECURITY_HEADERS)
        text = (request.query_params.get("q") or "").strip()[:200]
        async with storage.engine.connect() as conn:
            published = await assessment_summaries(conn, text or None)
            drafts = await open_drafts(conn)
        return web.render(
            request, "assessments.html", session, published=published, drafts=drafts, q=text
        )

    @router.get("/drafts/{draft_id}", response_class=HTMLResponse)
    async def open_draft(request: Request, draft_id: IdPath, session: Assessor) -> Response:
        """The editor with a saved draft, to go on editing or publish it."""
        try:
            async with storage.engine.connect() as conn:
                saved = await load_draft(conn, draft_id)
        except NotFound:
            return web.render(request, "not_found.html", session, 404)
        if saved["published_version"] is not None:  # history now: show what it became
            target = f"/ui/assessments/{saved['assessment_id']}"
            return RedirectResponse(target, 303, headers=SECURITY_HEADERS)
        values = {
            "title": saved["title"],
            "summary": saved["summary"],
            "recommendation": saved["recommendation"],
            "areas": saved["areas"],
            "regions": saved["regions"],
            "answers": " ".join(saved["answers"]),
            "change_note": saved["change_note"] or "",
        }
        revises = saved["assessment_id"] if saved["revises"] is not None else None
        return editor(request, session, values, draft=saved, revises=revises)

    @router.get("/new", response_class=HTMLResponse)
    async def new(request: Request, session: Assessor) -> Response:
        """An empty editor; ``?answers=<issue id>`` pre-fills the issue it answers."""
        values = _echo(None) | {"answers": request.query_params.get("answers", "")}
        return editor(request, session, values)

    @router.post("", response_class=HTMLResponse)
    async def save(request: Request, session: Assessor) -> Response:
        """Save as a draft (``action=draft``) or publish at once (``action=publish``).

        With ``draft_id`` the draft is edited first; with ``revises`` the draft is the next
        version of that assessment (a change note is required).
        """
        form = await request.form()
        draft_id = one(form, "draft_id") or None
        revises = one(form, "revises") or None
        actor = session.staff.username
        try:
            new = assessment_from_form(form)
            if draft_id:
                draft = await commands.edit_draft(draft_id, new, actor)
            else:
                draft = await commands.create_draft(new, actor, revises)
            if one(form, "action") != "publish":
                # Post/redirect/get: the draft has a page of its own to come back to.
                target = f"/ui/assessments/drafts/{draft['id']}"
                return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
            published = await commands.publish_draft(draft["id"], actor)
        except InvalidInput as exc:
            return editor(
                request,
                session,
                _echo(form),
                status_code=422,
                error=f"{exc.loc[-1]}: {exc.message}",
                revises=revises,
            )
        except Conflict as exc:
            return editor(
                request, session, _echo(form), status_code=409, error=str(exc), revises=revises
            )
        except NotFound as exc:
            return editor(
                request, session, _echo(form), status_code=404, error=str(exc), revises=revises
            )
        target = f"/ui/assessments/{published['id']}"
        if request.headers.get("hx-request"):
            return Response(status_code=200, headers={**SECURITY_HEADERS, "HX-Redirect": target})
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    @router.get("/{assessment_id}", response_class=HTMLResponse)
    async def detail(request: Request, assessment_id: IdPath, session: Reader) -> Response:
        """Every version side by side with the issues it answers and the acknowledgements."""
        try:
            async with storage.engine.connect() as conn:
                assessment = await repo.assessment_detail(conn, assessment_id)
        except NotFound:
            return web.render(request, "not_found.html", session, 404)
        return web.render(request, "assessment.html", session, assessment=assessment)

    @router.get("/{assessment_id}/revise", response_class=HTMLResponse)
    async def revise(request: Request, assessment_id: IdPath, session: Assessor) -> Response:
        """The editor pre-filled with the latest version, to publish the next one."""
        try:
            async with storage.engine.connect() as conn:
                assessment = await repo.assessment_detail(conn, assessment_id)
        except NotFound:
            return web.render(request, "not_found.html", session, 404)
        latest = assessment["versions"][-1]
        values = {
            "title": latest["title"],
            "summary": latest["summary"],
            "recommendation": latest["recommendation"],
            "areas": latest["areas"],
            "regions": latest["addressed_regions"],
            "answers": "",
            "change_note": "",
        }
        return editor(request, session, values, revises=assessment_id)

    return router
