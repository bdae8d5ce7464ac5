"""Pages of one's own account (API tokens) and, for admins, the staff accounts."""

# No `from __future__ import annotations`: the role dependencies are local Annotated
# aliases, and FastAPI must see them evaluated, not as strings to resolve in the globals.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from national_council.domain.staff import Role
from national_council.entrypoints.web import SECURITY_HEADERS, Web
from national_council.service_layer.accounts import WebSession
from samverkan_shared.statemachine import Conflict, NotFound

__all__ = ["build_admin_pages"]


def build_admin_pages(web: Web) -> APIRouter:
    """``/ui/account`` (everyone) and ``/ui/staff`` (admin)."""
    router = APIRouter(prefix="/ui", include_in_schema=False)
    Reader = Annotated[WebSession, Depends(web.requires(Role.READER))]  # noqa: N806
    Admin = Annotated[WebSession, Depends(web.requires(Role.ADMIN))]  # noqa: N806

    async def account_page(
        request: Request, session: WebSession, status_code: int = 200, **extra: Any
    ) -> Response:
        tokens = await web.accounts.tokens(session.staff.username)
        context: dict[str, Any] = {"tokens": tokens, "new_token": None, "error": None}
        context.update(extra)
        return web.render(request, "account.html", session, status_code, **context)

    @router.get("/account", response_class=HTMLResponse)
    async def account(request: Request, session: Reader) -> Response:
        """The signed-in person's API tokens."""
        return await account_page(request, session)

    @router.post("/account/tokens", response_class=HTMLResponse)
    async def create_token(request: Request, session: Reader) -> Response:
        """A new token of one's own; shown on this response only."""
        name = str((await request.form()).get("name") or "").strip()
        if not name or len(name) > 200:
            return await account_page(request, session, 422, error="token_name")
        row, token = await web.accounts.create_token(session.staff.username, name)
        return await account_page(request, session, new_token={"row": row, "token": token})

    @router.post("/account/tokens/{token_id}/revoke")
    async def revoke_token(request: Request, token_id: str, session: Reader) -> Response:
        """Revoke one of one's own tokens."""
        try:
            await web.accounts.revoke_token(token_id, session.staff.username)
        except NotFound:
            return await account_page(request, session, 404, error="token")
        return RedirectResponse("/ui/account", status_code=303, headers=SECURITY_HEADERS)

    async def staff_page(
        request: Request, session: WebSession, status_code: int = 200, **extra: Any
    ) -> Response:
        context: dict[str, Any] = {"accounts": await web.accounts.list_accounts(), "error": None}
        context.update(extra)
        return web.render(request, "staff.html", session, status_code, **context)

    @router.get("/staff", response_class=HTMLResponse)
    async def staff(request: Request, session: Admin) -> Response:
        """Every staff account, and the form to create one."""
        return await staff_page(request, session)

    @router.post("/staff", response_class=HTMLResponse)
    async def create_staff(request: Request, session: Admin) -> Response:
        """Create an account from the form; errors are shown beside it."""
        form = await request.form()
        username = str(form.get("username") or "").strip()
        try:
            role = Role(str(form.get("role") or ""))
            await web.accounts.create(
                username,
                str(form.get("display_name") or ""),
                role,
                str(form.get("password") or ""),
                session.staff.username,
            )
        except (ValueError, Conflict) as exc:
            return await staff_page(request, session, 422, error=str(exc))
        return RedirectResponse("/ui/staff", status_code=303, headers=SECURITY_HEADERS)

    @router.post("/staff/{username}/disable")
    async def disable(request: Request, username: str, session: Admin) -> Response:
        """Disable an account at once (not one's own)."""
        if username == session.staff.username:
            return await staff_page(request, session, 409, error="you cannot disable yourself")
        try:
            await web.accounts.disable(username)
        except NotFound as exc:
            return await staff_page(request, session, 404, error=str(exc))
        return RedirectResponse("/ui/staff", status_code=303, headers=SECURITY_HEADERS)

    @router.post("/staff/{username}/enable")
    async def enable(request: Request, username: str, session: Admin) -> Response:
        """Enable an account again."""
        try:
            await web.accounts.enable(username)
        except NotFound as exc:
            return await staff_page(request, session, 404, error=str(exc))
        return RedirectResponse("/ui/staff", status_code=303, headers=SECURITY_HEADERS)

    return router
