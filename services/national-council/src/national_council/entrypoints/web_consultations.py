"""Consultations: open one to chosen regions, see the responses side by side, publish a summary."""

# No `from __future__ import annotations`: the role dependencies are local Annotated
# aliases, and FastAPI must see them evaluated, not as strings to resolve in the globals.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from national_council.domain.staff import Role
from national_council.entrypoints.web import SECURITY_HEADERS, Web
from national_council.entrypoints.web_assessments import assessment_from_form
from national_council.entrypoints.web_forms import end_of_day, many, required
from national_council.service_layer.accounts import WebSession
from national_council.service_layer.consultations import (
    ConsultationCommands,
    consultation_detail,
    list_consultations,
)
from samverkan_shared.http import IdPath
from samverkan_shared.registry import load_areas
from samverkan_shared.statemachine import Conflict, InvalidInput, NotFound
from samverkan_shared.uow import Storage

__all__ = ["build_consultation_pages"]


def build_consultation_pages(
    web: Web, storage: Storage, commands: ConsultationCommands
) -> APIRouter:
    """``/ui/consultations``, one consultation's page, and its two actions."""
    router = APIRouter(prefix="/ui/consultations", include_in_schema=False)
    Reader = Annotated[WebSession, Depends(web.requires(Role.READER))]  # noqa: N806
    Assessor = Annotated[WebSession, Depends(web.requires(Role.ASSESSOR))]  # noqa: N806

    async def index_page(
        request: Request, session: WebSession, status_code: int = 200, error: str | None = None
    ) -> Response:
        async with storage.engine.connect() as conn:
            rows = await list_consultations(conn)
        return web.render(
            request,
            "consultations.html",
            session,
            status_code,
            consultations=rows,
            areas=load_areas(),
            error=error,
        )

    async def detail_page(
        request: Request,
        session: WebSession,
        consultation_id: str,
        status_code: int = 200,
        error: str | None = None,
    ) -> Response:
        try:
            async with storage.engine.connect() as conn:
                row = await consultation_detail(conn, consultation_id)
        except NotFound:
            return web.render(request, "not_found.html", session, 404)
        return web.render(
            request,
            "consultation.html",
            session,
            status_code,
            consultation=row,
            areas=load_areas(),
            error=error,
        )

    @router.get("", response_class=HTMLResponse)
    async def index(request: Request, session: Reader) -> Response:
        """Every consultation, newest first, and (assessors) the form to open one."""
        return await index_page(request, session)

    @router.post("", response_class=HTMLResponse)
    async def open_consultation(request: Request, session: Assessor) -> Response:
        """Open a consultation: a question to the chosen regions (none ticked: all)."""
        form = await request.form()
        try:
            areas = many(form, "areas")
            if not areas:
                raise InvalidInput(("form", "areas"), "choose at least one area")
            row: dict[str, Any] = await commands.open(
                required(form, "question"),
                areas,
                many(form, "regions"),
                end_of_day(form, "deadline"),
                session.staff.username,
            )
        except InvalidInput as exc:
            return await index_page(request, session, 422, f"{exc.loc[-1]}: {exc.message}")
        return RedirectResponse(f"/ui/consultations/{row['id']}", 303, headers=SECURITY_HEADERS)

    @router.get("/{consultation_id}", response_class=HTMLResponse)
    async def detail(request: Request, consultation_id: IdPath, session: Reader) -> Response:
        """The question and each region's views side by side."""
        return await detail_page(request, session, consultation_id)

    @router.post("/{consultation_id}/summary", response_class=HTMLResponse)
    async def conclude(request: Request, consultation_id: IdPath, session: Assessor) -> Response:
        """After the deadline: publish the summary as an assessment."""
        form = await request.form()
        try:
            published = await commands.conclude(
                consultation_id, assessment_from_form(form), session.staff.username
            )
        except InvalidInput as exc:
            return await detail_page(
                request, session, consultation_id, 422, f"{exc.loc[-1]}: {exc.message}"
            )
        except Conflict as exc:
            return await detail_page(request, session, consultation_id, 409, str(exc))
        return RedirectResponse(f"/ui/assessments/{published['id']}", 303, headers=SECURITY_HEADERS)

    return router
