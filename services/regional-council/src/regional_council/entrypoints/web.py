"""A read-only web page of one regional council: its issues and the national dialogue."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select

from regional_council.adapters import repository as repo
from regional_council.adapters.tables import consultations
from samverkan_shared.http import OPERATOR
from samverkan_shared.uow import Storage

__all__ = ["STATIC_DIR", "SessionSigner", "build_web_router", "install_web"]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"

SESSION_SECONDS = 8 * 60 * 60
# Keys are 256-bit tokens of ~60 characters; anything far longer is not a key, and
# refusing it early keeps a login attempt from costing a hash of a megabyte.
MAX_KEY_LENGTH = 512
ISSUE_LIMIT = 200

STATE_LABELS = {
    "open": "Öppet",
    "escalated": "Eskalerat",
    "information_requested": "Information begärd",
    "answered": "Besvarat",
    "resolved": "Löst",
    "withdrawn": "Återkallat",
}

# The page holds no script but htmx's and no inline code, so the policy can forbid the rest.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class SessionSigner:
    """Issues and checks HMAC-signed session values bound to one region and a lifetime."""

    def __init__(self, region: str, secret: bytes | None = None) -> None:
        self.region = region
        # A fresh secret per process: a restart logs everyone out, which beats keeping a
        # long-lived secret on disk for a convenience page.
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def _mac(self, principal: str, expires: int) -> str:
        message = f"{self.region}\n{principal}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def issue(self, principal: str, now: float | None = None) -> str:
        """A cookie value naming the principal, valid for SESSION_SECONDS."""
        expires = int(now if now is not None else time.time()) + SESSION_SECONDS
        return f"{principal}.{expires}.{self._mac(principal, expires)}"

    def principal(self, value: str | None, now: float | None = None) -> str | None:
        """The principal of a valid, unexpired session value; None for anything else."""
        if not value:
            return None
        parts = value.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        principal, expires_text, mac = parts
        expires = int(expires_text)
        if not hmac.compare_digest(mac.encode(), self._mac(principal, expires).encode()):
            return None
        if expires <= (now if now is not None else time.time()):
            return None
        return principal


def _when(value: datetime | None) -> str:
    """A timestamp as the page shows it: UTC, to the minute."""
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,  # every value on the page comes from other systems: escape it all
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.globals["state_labels"] = STATE_LABELS
    return env


async def load_sections(storage: Storage, region: str) -> dict[str, Any]:
    """Everything the page shows, read in one connection."""
    now = datetime.now(UTC)
    async with storage.engine.connect() as conn:
        issue_rows = await repo.list_issues(conn, region, None, ISSUE_LIMIT)
        requests = await repo.open_requests_of_region(conn, region)
        assessment_rows = await repo.list_assessments(conn)
        consultation_rows = await conn.execute(
            select(consultations)
            .where(consultations.c.responded_at.is_(None))
            .order_by(consultations.c.deadline)
        )
        open_consultations = [dict(r._mapping) for r in consultation_rows]
    for consultation in open_consultations:
        consultation["overdue"] = consultation["deadline"] < now
    return {
        "issues": issue_rows,
        "requests": requests,
        "assessments": assessment_rows,
        "consultations": open_consultations,
        "now": now,
    }


def build_web_router(
    storage: Storage,
    region: str,
    accept_key: Callable[[str], Awaitable[str | None]],
    operator_token: str,
    signer: SessionSigner | None = None,
) -> APIRouter:
    """The ``/ui`` pages: login with the operator token or a region key, then a read-only view."""
    router = APIRouter(prefix="/ui", include_in_schema=False)
    env = _environment()
    sessions = signer or SessionSigner(region)
    # Cookies are shared by every port of a host, so each region's page needs its own name.
    cookie = f"samverkan_ui_{region}"

    def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(region=region, **context)
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def session(request: Request) -> str | None:
        return sessions.principal(request.cookies.get(cookie))

    async def check(key: str) -> str | None:
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        # Bytes, because compare_digest refuses non-ASCII str instead of saying "no".
        if secrets.compare_digest(key.encode(), operator_token.encode()):
            return OPERATOR
        return await accept_key(key)

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        """The login form."""
        return render("login.html", error=None)

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        """Check the key; on success set the session cookie and go to the page."""
        # The form is parsed by hand: one field does not justify python-multipart.
        fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
        key = (fields.get("key") or [""])[0].strip()
        principal = await check(key)
        if principal is None:
            return render("login.html", status_code=401, error=True)
        response = RedirectResponse("/ui", status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            cookie,
            sessions.issue(principal),
            max_age=SESSION_SECONDS,
            path="/ui",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/logout")
    async def logout() -> Response:
        """End the session and return to the login form."""
        response = RedirectResponse("/ui/login", status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(cookie, path="/ui", httponly=True, samesite="strict")
        return response

    @router.get("", response_class=HTMLResponse)
    async def page(request: Request) -> Response:
        """The region's page; without a session, the login form."""
        principal = session(request)
        if principal is None:
            return RedirectResponse("/ui/login", status_code=303, headers=SECURITY_HEADERS)
        data = await load_sections(storage, region)
        return render("page.html", principal=principal, **data)

    @router.get("/sections", response_class=HTMLResponse)
    async def sections(request: Request) -> Response:
        """The four sections alone, for htmx's periodic refresh."""
        if session(request) is None:
            # 401, not a redirect: htmx then leaves the page as it is instead of
            # swapping a login form into the middle of it.
            return HTMLResponse("", status_code=401, headers=SECURITY_HEADERS)
        data = await load_sections(storage, region)
        return render("_sections.html", **data)

    return router


def install_web(
    app: FastAPI,
    storage: Storage,
    region: str,
    accept_key: Callable[[str], Awaitable[str | None]],
    operator_token: str,
) -> None:
    """Mount the ``/ui`` pages and their static files (CSS, htmx) on the service's app."""
    app.include_router(build_web_router(storage, region, accept_key, operator_token))
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
