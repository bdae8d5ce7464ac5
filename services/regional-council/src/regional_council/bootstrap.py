"""The composition root: ``build(settings)`` wires one regional council deployment."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from regional_council.adapters.api_keys import ApiKeys
from regional_council.adapters.tables import metadata
from regional_council.entrypoints.http import build_router
from regional_council.entrypoints.web import install_web
from regional_council.service_layer.commands import RegionalCommands
from regional_council.service_layer.dialogue import DownstreamHandler
from regional_council.service_layer.intake import IntakeHandler, RejectionNotice
from regional_council.settings import RegionalSettings
from samverkan_shared.logs import configure_logging
from samverkan_shared.runtime import Runtime
from samverkan_shared.signing import Signer
from samverkan_shared.topics import downstream, intake

__all__ = ["MIGRATIONS", "build"]

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: RegionalSettings) -> FastAPI:
    """The ASGI app: HTTP API, downstream consumer and outbox relay of one region."""
    name = f"regional-council.{settings.region}"
    configure_logging(
        "regional-council",
        json=settings.json_logs,
        level=settings.log_level,
        region=settings.region,
    )
    runtime = Runtime(name, settings, metadata, MIGRATIONS)
    # Everything this region publishes is signed, so the nation can prove where it came from.
    runtime.storage.signer = Signer.from_file(settings.signing_key_id, settings.signing_key_file)
    runtime.consume(
        [downstream(settings.region)], DownstreamHandler(settings.region), group_id=name
    )
    commands = RegionalCommands(runtime.storage, settings.region)
    # The Kafka intake has its own consumer group: a burst of regional traffic never delays
    # the national dialogue on the downstream topic.
    runtime.consume(
        [intake(settings.region)],
        IntakeHandler(commands),
        group_id=f"{name}.intake",
        on_dead_letter=RejectionNotice(settings.region, runtime.sink),
    )
    keys = ApiKeys(runtime.storage.engine, settings.region)
    app = runtime.asgi(
        f"Regional council — {settings.region}",
        "Regional systems open and escalate issues; the national dialogue arrives here.",
        lambda guard: build_router(commands, runtime.storage, guard),
        accept=keys.principal,  # the region's own API keys, besides the operator token
    )
    # The same credentials open the read-only /ui page (exchanged for a session cookie).
    install_web(
        app, runtime.storage, settings.region, keys.principal, settings.api_token.get_secret_value()
    )
    return app
