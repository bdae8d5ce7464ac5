"""The one-click unsubscribe link (RFC 8058): GET shows a button, POST unsubscribes.

A GET never unsubscribes: mail scanners open links. Mail clients that honour
``List-Unsubscribe-Post`` POST ``List-Unsubscribe=One-Click`` to the same URL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from notifications.adapters import subscribers_repo as subs
from notifications.service_layer.links import Links
from notifications.service_layer.rendering import page
from samverkan_shared.statemachine import NotFound
from samverkan_shared.uow import Storage

__all__ = ["unsubscribe_router"]

BAD_TOKEN = "token: not a valid unsubscribe link / ogiltig länk"
Token = Annotated[str, Query(min_length=1, max_length=400)]


def unsubscribe_router(storage: Storage, links: Links) -> APIRouter:
    """``GET`` and ``POST /unsubscribe?token=…``; no bearer token (the link is the key)."""
    router = APIRouter(tags=["unsubscribe"])

    async def _email(token: str) -> tuple[str | None, str | None]:
        subscriber_id = links.subscriber_of_unsubscribe(token)
        if subscriber_id is None:
            return None, None
        try:
            async with storage.engine.connect() as conn:
                row = await subs.get_subscriber(conn, subscriber_id)
        except NotFound:
            return None, None
        return subscriber_id, row["email"] or ""

    @router.get("/unsubscribe", response_class=HTMLResponse)
    async def confirm(token: Token) -> HTMLResponse:
        """A page with one button (scanners that follow links unsubscribe nobody)."""
        subscriber_id, email = await _email(token)
        if subscriber_id is None:
            return HTMLResponse(page("unsubscribe.html", error=BAD_TOKEN), status_code=422)
        action = f"/unsubscribe?token={token}"
        return HTMLResponse(page("unsubscribe.html", email=email, action=action, done=False))

    @router.post("/unsubscribe", response_class=HTMLResponse)
    async def one_click(token: Token) -> HTMLResponse:
        """Unsubscribe from every e-mail (RFC 8058 one-click; repeating it is harmless)."""
        subscriber_id, email = await _email(token)
        if subscriber_id is None:
            return HTMLResponse(page("unsubscribe.html", error=BAD_TOKEN), status_code=422)
        async with storage.engine.begin() as conn:
            await subs.unsubscribe_email(conn, subscriber_id)
        return HTMLResponse(page("unsubscribe.html", email=email, done=True))

    return router
