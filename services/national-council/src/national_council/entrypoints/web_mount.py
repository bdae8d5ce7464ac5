"""Everything of the web UI, mounted on the service's app in one call from bootstrap."""

from __future__ import annotations

from fastapi import FastAPI

from national_council.entrypoints.web import Web, install_web
from national_council.entrypoints.web_admin import build_admin_pages
from national_council.entrypoints.web_assessments import build_assessment_pages
from national_council.entrypoints.web_consultations import build_consultation_pages
from national_council.entrypoints.web_issues import build_issue_pages
from national_council.entrypoints.web_queue import build_queue_pages
from national_council.service_layer.accounts import Accounts
from national_council.service_layer.assessments import AssessmentCommands
from national_council.service_layer.commands import NationalCommands
from national_council.service_layer.consultations import ConsultationCommands
from national_council.settings import NationalSettings
from samverkan_shared.settings import Environment
from samverkan_shared.uow import Storage

__all__ = ["mount_web"]


def mount_web(
    app: FastAPI, settings: NationalSettings, accounts: Accounts, storage: Storage
) -> None:
    """The ``/ui`` pages; cookies are Secure in production unless the settings say otherwise."""
    secure = settings.session_cookie_secure
    if secure is None:
        secure = settings.environment is Environment.PRODUCTION
    web = Web(accounts, secure, int(settings.session_hours * 3600))
    # The command objects hold nothing but the storage: the pages get their own.
    assessments = AssessmentCommands(storage)
    pages = [
        build_queue_pages(web, storage),
        build_issue_pages(web, storage, NationalCommands(storage)),
        build_assessment_pages(web, storage, assessments),
        build_consultation_pages(web, storage, ConsultationCommands(storage, assessments)),
        build_admin_pages(web),
    ]
    install_web(app, web, pages)
