"""Who is calling, and may they: ``requires(role)`` for every route of the service.

Three credentials are accepted:
- a staff API token, ``Authorization: Bearer svn_…`` (stored hashed, revocable);
- the web session cookie; an unsafe method (POST, PUT, PATCH, DELETE) then also needs the
  session's CSRF token, in the ``X-CSRF-Token`` header (htmx) or a ``csrf_token`` form field;
- the operator token from the settings (``api_token``), as the user "operator" with role
  admin: what scripts, the walk-through and the existing tests use.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from national_council.domain.staff import Role, Staff
from national_council.service_layer.accounts import Accounts, WebSession, prepare
from samverkan_shared.http import OPERATOR

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "Access",
    "Admin",
    "Assessor",
    "Reader",
    "Triager",
    "install_access",
    "requires",
]

SESSION_COOKIE = "samverkan_national_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False)


@dataclass
class Access:
    """What ``requires`` needs at request time; one per app, on ``app.state.access``."""

    accounts: Accounts
    operator_token: str

    async def web_session(self, request: Request) -> WebSession | None:
        """The browser's live session, if its cookie names one."""
        cookie = request.cookies.get(SESSION_COOKIE)
        return await self.accounts.session(cookie) if cookie else None

    async def from_bearer(self, token: str) -> Staff | None:
        """The staff member of a bearer token: the operator token or a staff token."""
        # Bytes, because compare_digest refuses non-ASCII str instead of saying "no".
        if secrets.compare_digest(token.encode(), self.operator_token.encode()):
            return Staff(OPERATOR, Role.ADMIN)
        return await self.accounts.staff_for_token(token)


def install_access(app: FastAPI, access: Access) -> None:
    """Make ``requires`` work on this app."""
    app.state.access = access
    # The first login with an unknown name would otherwise pay for the dummy hash too.
    prepare()


async def csrf_ok(request: Request, session: WebSession) -> bool:
    """Whether an unsafe request carries its session's CSRF token (header or form field)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        # Starlette caches the parsed form on the request: the route reads it again for free.
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and secrets.compare_digest(sent.encode(), session.csrf_token.encode())


async def authenticate(request: Request, creds: HTTPAuthorizationCredentials | None) -> Staff:
    """The caller, or 401 (403 for a session whose unsafe request lacks the CSRF token)."""
    access: Access = request.app.state.access
    if creds is not None:
        staff = await access.from_bearer(creds.credentials)
        if staff is not None:
            return staff
    else:
        session = await access.web_session(request)
        if session is not None:
            if request.method not in SAFE_METHODS and not await csrf_ok(request, session):
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    f"missing or wrong CSRF token (send the {CSRF_HEADER} header "
                    f"or the {CSRF_FIELD} form field)",
                )
            return session.staff
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing or wrong credentials: a bearer token or a signed-in session",
        headers={"WWW-Authenticate": "Bearer"},
    )


def requires(role: Role) -> Callable[..., Awaitable[Staff]]:
    """A dependency: the calling staff member if their role covers ``role``; else 401/403."""

    async def dependency(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Staff:
        staff = await authenticate(request, creds)
        if not staff.may(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this needs the role '{role.value}' or higher; "
                f"'{staff.username}' has the role '{staff.role.value}'",
            )
        return staff

    dependency.__name__ = f"requires_{role.value}"
    return dependency


Reader = Annotated[Staff, Depends(requires(Role.READER))]
Triager = Annotated[Staff, Depends(requires(Role.TRIAGER))]
Assessor = Annotated[Staff, Depends(requires(Role.ASSESSOR))]
Admin = Annotated[Staff, Depends(requires(Role.ADMIN))]
