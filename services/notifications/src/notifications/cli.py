"""``notifications serve|migrate``."""

from __future__ import annotations

from samverkan_shared.cli import service_cli

from notifications.bootstrap import build, storage
from notifications.settings import NotificationSettings

app = service_cli("notifications", NotificationSettings, build, storage)

if __name__ == "__main__":
    app()
