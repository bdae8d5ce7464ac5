"""The staff web UI at ``/ui``: sign-in, layout, language, and the pages' shared plumbing.

Server-rendered (Jinja2) with htmx for partial updates; every page also works as plain HTML
forms. Pages call the service layer, never SQL of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from national_council.domain.staff import Role
from national_council.entrypoints.access import CSRF_FIELD, SESSION_COOKIE, csrf_ok
from national_council.entrypoints.web_i18n import LANG_COOKIE, LANGUAGES, choose_language
from national_council.entrypoints.web_i18n import translator as make_translator
from national_council.service_layer.accounts import Accounts, LoginRefused, WebSession
from samverkan_shared.registry import load_areas, load_regions

__all__ = ["NeedLogin", "NotAllowed", "Web", "install_web"]

HERE = Path(__file__).parent.parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

# The pages hold no script but htmx's and no inline code, so the policy forbids the rest.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class NeedLogin(Exception):
    """No live session: the browser goes to the login form."""


class NotAllowed(Exception):
    """Signed in, but the role is too low (or the CSRF token is missing): 403."""

    def __init__(self, needed: Role | None, why: str) -> None:
        super().__init__(why)
        self.needed = needed


def _when(value: datetime | None) -> str:
    """A timestamp as pages show it: UTC, to the minute."""
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _duration(seconds: float | None) -> str:
    """A compact duration: '3 d 4 h', '5 h 10 min', '12 min' (absolute value)."""
    if seconds is None:
        return "—"
    s = int(abs(seconds))
    days, rest = divmod(s, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _safe_next(target: str | None) -> str:
    """Only our own pages as a redirect target: no open redirect via ?next=."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui"


@dataclass
class Web:
    """What every page needs: templates, sessions, and the cookie policy."""

    accounts: Accounts
    secure_cookies: bool
    session_seconds: int

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,  # titles and texts come from the regions: escape everything
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = _when
        self.env.filters["duration"] = _duration
        self.env.globals["regions"] = load_regions()
        self.env.globals["area_names"] = {a.code: a.name for a in load_areas()}
        self.env.globals["roles"] = list(Role)
        self.env.globals["csrf_field"] = CSRF_FIELD

    def render(
        self,
        request: Request,
        name: str,
        session: WebSession | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A page (or fragment) in the request's language."""
        lang = choose_language(request)
        html = self.env.get_template(name).render(
            t=make_translator(lang),
            lang=lang,
            other_lang=next(code for code in LANGUAGES if code != lang),
            session=session,
            me=session.staff if session else None,
            path=request.url.path,
            here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def requires(self, role: Role) -> Callable[[Request], Awaitable[WebSession]]:
        """A page dependency: the session if its role covers ``role``.

        No session: NeedLogin (login form). Too low a role, or an unsafe request without the
        session's CSRF token: NotAllowed (403 page naming the role needed).
        """

        async def dependency(request: Request) -> WebSession:
            cookie = request.cookies.get(SESSION_COOKIE)
            session = await self.accounts.session(cookie) if cookie else None
            if session is None:
                raise NeedLogin
            request.state.web_session = session
            if request.method not in ("GET", "HEAD") and not await csrf_ok(request, session):
                raise NotAllowed(None, "missing or wrong CSRF token")
            if not session.staff.may(role):
                raise NotAllowed(role, f"needs the role {role.value}")
            return session

        return dependency


def _login_router(web: Web) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/ui") -> Response:
        """The login form."""
        return web.render(request, "login.html", None, error=None, next=_safe_next(next))

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        """Check the password; on success set the session cookie and go on."""
        form = await request.form()
        username = str(form.get("username") or "").strip().lower()
        password = str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/ui"))
        try:
            result = await web.accounts.login(username, password)
        except LoginRefused as refused:
            return web.render(
                request,
                "login.html",
                None,
                status_code=401,
                error="locked" if refused.locked_until else "wrong",
                locked_until=refused.locked_until,
                next=target,
                username=username,
            )
        response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            result.cookie,
            max_age=web.session_seconds,
            path="/",  # the HTTP API accepts the session too (with the CSRF header)
            httponly=True,
            samesite="lax",
            secure=web.secure_cookies,
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        """End the session (server side too) and return to the login form."""
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await web.accounts.session(cookie) if cookie else None
        if session is not None:
            if not await csrf_ok(request, session):
                raise NotAllowed(None, "missing or wrong CSRF token")
            await web.accounts.logout(cookie or "")
        response = RedirectResponse("/ui/login", status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=web.secure_cookies
        )
        return response

    @router.get("/lang/{code}")
    async def switch_language(code: str, next: str = "/ui") -> Response:
        """Remember the chosen language in a cookie and return to the page."""
        response = RedirectResponse(_safe_next(next), status_code=303, headers=SECURITY_HEADERS)
        if code in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE,
                code,
                max_age=365 * 86_400,
                path="/",
                samesite="lax",
                secure=web.secure_cookies,
            )
        return response

    return router


def _handlers(app: FastAPI, web: Web) -> None:
    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, _: NeedLogin) -> Response:
        target = quote(_safe_next(request.url.path), safe="/")
        location = f"/ui/login?next={target}"
        if request.headers.get("hx-request"):
            # htmx follows HX-Redirect with a full page load instead of swapping a fragment.
            return Response(status_code=401, headers={**SECURITY_HEADERS, "HX-Redirect": location})
        return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        session = getattr(request.state, "web_session", None)
        template = "_forbidden.html" if request.headers.get("hx-request") else "forbidden.html"
        return web.render(
            request, template, session, status_code=403, needed=exc.needed, why=str(exc)
        )


def install_web(app: FastAPI, web: Web, routers: list[APIRouter]) -> None:
    """Mount the ``/ui`` pages, their static files (CSS, htmx) and error pages."""
    app.include_router(_login_router(web))
    for router in routers:
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    _handlers(app, web)
