"""Staff sign-in pieces of the composition root: the policy, the development admin."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from national_council.domain.staff import Role
from national_council.service_layer.accounts import Accounts, Policy
from national_council.settings import NationalSettings
from national_council.staff_settings import DEV_ADMIN_USERNAME
from samverkan_shared.logs import get_logger
from samverkan_shared.settings import Environment

__all__ = ["accounts_policy", "dev_admin_worker"]

log = get_logger(__name__)


def accounts_policy(settings: NationalSettings) -> Policy:
    """Session lifetimes and lockout rules from the settings."""
    return Policy(
        session_lifetime=timedelta(hours=settings.session_hours),
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


def dev_admin_worker(
    settings: NationalSettings, accounts: Accounts
) -> Callable[[], Coroutine[Any, Any, None]]:
    """A start-up task: in development only, make sure an 'admin' account exists.

    Production never gets one: there the first admin is made with
    ``national-council staff create`` by whoever runs the service.
    """

    async def ensure_dev_admin() -> None:
        if settings.environment is not Environment.DEVELOPMENT:
            return
        if await accounts.exists(DEV_ADMIN_USERNAME):
            return
        await accounts.create(
            DEV_ADMIN_USERNAME,
            "Development administrator",
            Role.ADMIN,
            settings.dev_admin_password.get_secret_value(),
            created_by="development start-up",
        )
        log.info("development admin account created", username=DEV_ADMIN_USERNAME)

    return ensure_dev_admin
