"""The composition root: ``build(settings)`` wires the national council."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from national_council.adapters.tables import metadata
from national_council.entrypoints.http import build_router
from national_council.service_layer.commands import NationalCommands
from national_council.service_layer.dialogue import UpstreamHandler
from national_council.settings import NationalSettings
from samverkan_shared.logs import configure_logging
from samverkan_shared.registry import load_regions
from samverkan_shared.runtime import Runtime
from samverkan_shared.signing import KeyRegistry
from samverkan_shared.topics import upstream

__all__ = ["MIGRATIONS", "build"]

MIGRATIONS = Path(__file__).parent / "migrations"

NAME = "national-council"


def build(settings: NationalSettings) -> FastAPI:
    """The ASGI app: the queue API, the consumer of every region's upstream topic, the relay."""
    configure_logging(NAME, json=settings.json_logs, level=settings.log_level)
    runtime = Runtime(NAME, settings, metadata, MIGRATIONS)
    topics = [upstream(r.code) for r in load_regions()]
    registry = KeyRegistry.from_file(settings.key_registry_file)
    runtime.consume(
        topics,
        UpstreamHandler(settings.service_levels()),
        group_id=NAME,
        verify=registry.verify,  # unsigned or wrongly signed upstream events are dead-lettered
    )
    commands = NationalCommands(runtime.storage)
    return runtime.asgi(
        "National council",
        "The national issue queue, the dialogue with the regions, and assessments.",
        lambda guard: build_router(commands, runtime.storage, guard),
    )
