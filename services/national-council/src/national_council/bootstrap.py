"""The composition root: ``build(settings)`` wires the national council."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from national_council.adapters.tables import metadata
from national_council.entrypoints.access import Access, install_access
from national_council.entrypoints.accounts import build_accounts_router
from national_council.entrypoints.http import build_router
from national_council.entrypoints.http_dialogue import build_dialogue_router
from national_council.entrypoints.web_mount import mount_web
from national_council.service_layer.accounts import Accounts
from national_council.service_layer.assessments import AssessmentCommands
from national_council.service_layer.commands import NationalCommands
from national_council.service_layer.consultations import ConsultationCommands
from national_council.service_layer.dialogue import UpstreamHandler
from national_council.service_layer.plans import PlanCommands
from national_council.service_layer.sla import SlaWatch
from national_council.settings import NationalSettings
from national_council.staff_bootstrap import accounts_policy, dev_admin_worker
from samverkan_shared.logs import configure_logging
from samverkan_shared.registry import load_regions
from samverkan_shared.runtime import Runtime
from samverkan_shared.sigcheck import SignatureWorker, Verifier
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
        # Unsigned or wrongly signed upstream events are dead-lettered; a backlog's checks run
        # in a helper process beside the event loop (samverkan_shared.sigcheck).
        verify=Verifier(registry, SignatureWorker()),
    )
    commands = NationalCommands(runtime.storage)
    assessments = AssessmentCommands(runtime.storage)
    consultations = ConsultationCommands(runtime.storage, assessments)
    plans = PlanCommands(runtime.storage)
    runtime.workers.append(SlaWatch(runtime.storage, settings.sla_check_seconds).run)
    accounts = Accounts(runtime.storage.engine, accounts_policy(settings))
    runtime.workers.append(dev_admin_worker(settings, accounts))
    app = runtime.asgi(
        "National council",
        "The national issue queue, the dialogue with the regions, and assessments.",
        lambda guard: build_router(commands, runtime.storage, guard),
    )
    install_access(app, Access(accounts, settings.api_token.get_secret_value()))
    app.include_router(build_accounts_router(accounts))
    app.include_router(build_dialogue_router(runtime.storage, assessments, consultations, plans))
    mount_web(app, settings, accounts, runtime.storage)
    return app
