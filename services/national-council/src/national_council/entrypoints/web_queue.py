"""The queue page (filters, sort, search, keyset pages, overdue markers) and the dashboard."""

# No `from __future__ import annotations`: the role dependencies are local Annotated
# aliases, and FastAPI must see them evaluated, not as strings to resolve in the globals.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from national_council.domain.model import NationalState, Priority
from national_council.domain.staff import Role
from national_council.entrypoints.web import Web
from national_council.entrypoints.web_charts import bar_chart
from national_council.entrypoints.web_i18n import choose_language, translator
from national_council.service_layer.accounts import WebSession
from national_council.service_layer.queue import (
    SORTS,
    QueueFilter,
    present,
    queue_page,
    queue_stats,
)
from samverkan_shared.registry import load_areas, load_regions
from samverkan_shared.statemachine import InvalidInput
from samverkan_shared.uow import Storage

__all__ = ["build_queue_pages", "filter_from_query"]

PAGE_SIZE = 50


def _pick(value: str | None, allowed: set[str]) -> str | None:
    return value if value in allowed else None


def filter_from_query(params: dict[str, str]) -> tuple[QueueFilter, dict[str, str]]:
    """The queue filter from the page's query string; unknown values are ignored.

    Returns the filter and the values to show back in the form.
    """
    state = _pick(params.get("state"), {s.value for s in NationalState})
    region = _pick(params.get("region"), {r.code for r in load_regions()})
    area = params.get("area") or None
    priority = _pick(params.get("priority"), {p.value for p in Priority})
    assignee = (params.get("assignee") or "").strip()[:64] or None
    overdue = params.get("overdue") == "1"
    text = (params.get("q") or "").strip()[:200] or None
    f = QueueFilter(
        states=[NationalState(state)] if state else [],
        regions=[region] if region else [],
        areas=[area] if area else [],
        priorities=[Priority(priority)] if priority else [],
        assignee=assignee,
        overdue=True if overdue else None,
        text=text,
    )
    shown = {
        "state": state or "",
        "region": region or "",
        "area": area or "",
        "priority": priority or "",
        "assignee": assignee or "",
        "overdue": "1" if overdue else "",
        "q": text or "",
    }
    return f, shown


def _sort(value: str | None) -> str:
    allowed = set(SORTS) | {f"-{s}" for s in SORTS}
    return value if value in allowed else "received_at"


def build_queue_pages(web: Web, storage: Storage) -> APIRouter:
    """``/ui`` (the queue) and ``/ui/dashboard``."""
    router = APIRouter(prefix="/ui", include_in_schema=False)
    Reader = Annotated[WebSession, Depends(web.requires(Role.READER))]  # noqa: N806

    @router.get("", response_class=HTMLResponse)
    async def queue(request: Request, session: Reader) -> Response:
        """The queue: filters in the query string, so a filtered view can be bookmarked."""
        params = dict(request.query_params)
        f, shown = filter_from_query(params)
        sort = _sort(params.get("sort"))
        cursor = params.get("cursor") or None
        error = None
        try:
            async with storage.engine.connect() as conn:
                page = await queue_page(conn, f, sort, PAGE_SIZE, cursor)
        except InvalidInput as exc:
            error = exc.message
            async with storage.engine.connect() as conn:
                page = await queue_page(conn, f, sort, PAGE_SIZE, None)
        rows = [present(issue) for issue in page.items]
        next_params = {**{k: v for k, v in shown.items() if v}, "sort": sort}
        name = "_queue_rows.html" if request.headers.get("hx-request") else "queue.html"
        return web.render(
            request,
            name,
            session,
            issues=rows,
            shown=shown,
            sort=sort,
            sorts=sorted(SORTS),
            next_cursor=page.next_cursor,
            next_params=next_params,
            states=list(NationalState),
            priorities=list(Priority),
            areas=load_areas(),
            error=error,
            paged=cursor is not None,
        )

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request, session: Reader) -> Response:
        """Issues per region and per area, overdue count, median time to answer."""
        async with storage.engine.connect() as conn:
            stats = await queue_stats(conn)
        t = translator(choose_language(request))
        names = {r.code: r.name for r in load_regions()}
        area_names = {a.code: a.name for a in load_areas()}
        by_region = [(names.get(code, code), n) for code, n in sorted(stats["by_region"].items())]
        by_area = sorted(
            ((area_names.get(code, code), n) for code, n in stats["by_area"].items()),
            key=lambda row: -row[1],
        )
        charts: dict[str, Markup] = {
            "region": bar_chart(t("issues_per_region"), by_region, chart_id="chart-region"),
            "area": bar_chart(t("issues_per_area"), by_area, chart_id="chart-area"),
        }
        median = stats["median_seconds_to_answer"]
        context: dict[str, Any] = {
            "stats": stats,
            "charts": charts,
            "total": sum(stats["by_region"].values()),
            "median_days": None if median is None else round(median / 86_400, 1),
        }
        return web.render(request, "dashboard.html", session, **context)

    return router
