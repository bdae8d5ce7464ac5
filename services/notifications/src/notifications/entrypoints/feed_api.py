"""The in-app feed: a JSON list and a Server-Sent Events stream per subscriber.

A web page cannot set an Authorization header on an EventSource, so besides the bearer
token the feed takes the subscriber's own signed ``token`` (it reads that feed only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from notifications.adapters import feed_repo
from notifications.adapters import subscribers_repo as subs
from notifications.entrypoints.responses import FeedItemOut
from notifications.service_layer.feed import FeedHub
from notifications.service_layer.links import Links
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["feed_router"]

_bearer = HTTPBearer(auto_error=False)
KEEPALIVE_SECONDS = 15.0
POLL_SECONDS = 1.0


def feed_router(
    storage: Storage, links: Links, guard: Callable[..., Awaitable[str]], hub: FeedHub
) -> APIRouter:
    """``GET /subscribers/{id}/feed`` and ``…/feed/stream``."""

    async def allowed(
        subscriber_id: IdPath,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        token: Annotated[str | None, Query(max_length=400)] = None,
    ) -> str:
        if token is not None and links.subscriber_of_feed(token) == subscriber_id:
            return subscriber_id
        if creds is None and token is not None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the feed token is not this feed's")
        await guard(creds)
        return subscriber_id

    router = APIRouter(tags=["feed"], dependencies=[Depends(allowed)])

    @router.get("/subscribers/{subscriber_id}/feed", response_model=list[FeedItemOut])
    async def feed(
        subscriber_id: IdPath,
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict[str, Any]]:
        """Feed items after ``after`` (an item id), oldest first."""
        async with storage.engine.connect() as conn:
            await subs.get_subscriber(conn, subscriber_id)
            return await feed_repo.feed_after(conn, subscriber_id, after, limit)

    @router.get(
        "/subscribers/{subscriber_id}/feed/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(
        subscriber_id: IdPath,
        last_event_id: Annotated[str | None, Header(max_length=20)] = None,
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    ) -> StreamingResponse:
        """Server-Sent Events: every new item as ``event: notification``; resumes from
        ``Last-Event-ID`` (the browser sends it on reconnect) or ``after``."""
        async with storage.engine.connect() as conn:
            await subs.get_subscriber(conn, subscriber_id)
        resumed = last_event_id and last_event_id.isascii() and last_event_id.isdigit()
        start = min(int(last_event_id), 2**62) if resumed and last_event_id else after
        return StreamingResponse(
            _events(storage, hub, subscriber_id, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


async def _events(
    storage: Storage, hub: FeedHub, subscriber_id: str, after: int
) -> AsyncIterator[str]:
    yield f"retry: 3000\n: feed of {subscriber_id}\n\n"
    idle = 0.0
    while True:
        async with storage.engine.connect() as conn:
            items = await feed_repo.feed_after(conn, subscriber_id, after, 100)
        for item in items:
            after = item["id"]
            body = FeedItemOut.model_validate(item).model_dump_json()
            yield f"id: {after}\nevent: notification\ndata: {body}\n\n"
        if items:
            idle = 0.0
            continue
        await hub.wait(POLL_SECONDS)
        idle += POLL_SECONDS
        if idle >= KEEPALIVE_SECONDS:  # a comment keeps proxies from closing a quiet stream
            idle = 0.0
            yield ": keep-alive\n\n"
