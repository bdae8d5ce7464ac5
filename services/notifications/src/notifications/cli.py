"""``notifications serve|migrate``."""

from __future__ import annotations

from notifications.bootstrap import MIGRATIONS, build
from notifications.settings import NotificationSettings
from samverkan_shared.cli import service_cli

app = service_cli("notifications", NotificationSettings, build, MIGRATIONS)

if __name__ == "__main__":
    app()
