"""The composition root: ``build(settings)`` wires the notification service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from notifications.adapters.deliveries_repo import counts_by_status
from notifications.adapters.tables import metadata
from notifications.domain.model import Channel, DeliveryStatus
from notifications.entrypoints.http import build_router
from notifications.metrics import DELIVERIES
from notifications.service_layer.digests import DigestScheduler
from notifications.service_layer.dispatcher import Dispatcher
from notifications.service_layer.feed import FeedHub
from notifications.service_layer.intake import IntakeHandler
from notifications.service_layer.links import Links
from notifications.service_layer.subscribing import FieldError
from notifications.settings import NotificationSettings
from samverkan_shared.logs import configure_logging
from samverkan_shared.registry import load_regions
from samverkan_shared.runtime import Runtime
from samverkan_shared.topics import downstream, upstream
from samverkan_shared.uow import Storage

__all__ = ["MIGRATIONS", "build"]

MIGRATIONS = Path(__file__).parent / "migrations"

NAME = "notifications"


def build(settings: NotificationSettings) -> FastAPI:
    """The ASGI app: HTTP API, a consumer of every dialogue topic, the senders and digests."""
    configure_logging(NAME, json=settings.json_logs, level=settings.log_level)
    runtime = Runtime(NAME, settings, metadata, MIGRATIONS)
    regions = [r.code for r in load_regions()]
    topics = [upstream(r) for r in regions] + [downstream(r) for r in regions]
    runtime.consume(topics, IntakeHandler(), group_id=NAME)
    links = Links(settings.link_secret.get_secret_value(), settings.base_url)
    hub = FeedHub()
    runtime.storage.on_commit.append(hub.wake)
    dispatcher = Dispatcher(runtime.storage, settings, links)
    digests = DigestScheduler(runtime.storage, settings, links)
    runtime.workers += [dispatcher.run, digests.run]

    app = runtime.asgi(
        "Notifications",
        "Tells subscribers about the dialogue between regions and the nation: e-mail, "
        "signed webhooks and an in-app feed, each delivery once, with a log.",
        lambda guard: build_router(runtime.storage, guard, links=links, digests=digests, hub=hub),
    )
    app.state.dispatcher = dispatcher
    app.state.digests = digests
    app.add_exception_handler(FieldError, _field_error)  # type: ignore[arg-type]
    app.add_middleware(GaugeOnScrape, storage=runtime.storage)
    return app


async def _field_error(_: Request, exc: FieldError) -> JSONResponse:
    detail = [{"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}]
    return JSONResponse({"detail": detail}, status_code=422)


class GaugeOnScrape:
    """Reads the delivery counts from the database just before ``/metrics`` answers.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware would run every request (and
    the feed's endless stream) through an extra task for the sake of one path.
    """

    def __init__(self, app: ASGIApp, storage: Storage) -> None:
        self.app = app
        self.storage = storage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == "/metrics":
            await self.refresh()
        await self.app(scope, receive, send)

    async def refresh(self) -> None:
        """Set the gauge for every channel and status (0 where there are none)."""
        try:
            async with self.storage.engine.connect() as conn:
                counts = await counts_by_status(conn)
        except Exception:  # the database is away: /readyz says so; serve what we have
            return
        seen = {(c, s): n for c, s, n in counts}
        for channel in Channel:
            for status in DeliveryStatus:
                DELIVERIES.labels(channel.value, status.value).set(
                    seen.get((channel.value, status.value), 0)
                )
