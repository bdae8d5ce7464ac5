"""The notification service's HTTP API, assembled: which routes need which credential."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends

from notifications.entrypoints.deliveries_api import deliveries_router
from notifications.entrypoints.feed_api import feed_router
from notifications.entrypoints.subscribers_api import subscribers_router
from notifications.entrypoints.unsubscribe_page import unsubscribe_router
from notifications.service_layer.digests import DigestScheduler
from notifications.service_layer.feed import FeedHub
from notifications.service_layer.links import Links
from samverkan_shared.uow import Storage

__all__ = ["build_router"]


def build_router(
    storage: Storage,
    guard: Callable[..., Awaitable[str]],
    *,
    links: Links,
    digests: DigestScheduler,
    hub: FeedHub,
) -> APIRouter:
    """The API behind the bearer token; the feed (token or bearer); unsubscribe (its link)."""
    router = APIRouter()
    protected = APIRouter(dependencies=[Depends(guard)])
    protected.include_router(subscribers_router(storage, links))
    protected.include_router(deliveries_router(storage, digests))
    router.include_router(protected)
    router.include_router(feed_router(storage, links, guard, hub))
    router.include_router(unsubscribe_router(storage, links))
    return router
