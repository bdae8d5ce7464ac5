"""The composition root: ``build(settings)`` wires the notification service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from notifications.adapters.tables import metadata
from notifications.entrypoints.http import build_router
from notifications.service_layer.intake import IntakeHandler
from notifications.service_layer.sender import EmailSender
from notifications.settings import NotificationSettings
from samverkan_shared.logs import configure_logging
from samverkan_shared.registry import load_regions
from samverkan_shared.runtime import Runtime
from samverkan_shared.topics import downstream, upstream

__all__ = ["MIGRATIONS", "build"]

MIGRATIONS = Path(__file__).parent / "migrations"

NAME = "notifications"


def build(settings: NotificationSettings) -> FastAPI:
    """The ASGI app: HTTP API, a consumer of every dialogue topic, and the e-mail sender."""
    configure_logging(NAME, json=settings.json_logs, level=settings.log_level)
    runtime = Runtime(NAME, settings, metadata, MIGRATIONS)
    regions = [r.code for r in load_regions()]
    topics = [upstream(r) for r in regions] + [downstream(r) for r in regions]
    runtime.consume(topics, IntakeHandler(), group_id=NAME)
    sender = EmailSender(runtime.storage, settings)
    runtime.workers.append(sender.run)

    app = runtime.asgi(
        "Notifications",
        "E-mails subscribers about the dialogue between regions and the nation.",
        lambda guard: build_router(runtime.storage, guard),
    )
    app.state.sender = sender
    return app
