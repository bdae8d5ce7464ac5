"""``national-council serve|migrate``."""

from __future__ import annotations

from national_council.bootstrap import MIGRATIONS, build
from national_council.settings import NationalSettings
from samverkan_shared.cli import service_cli

app = service_cli("national-council", NationalSettings, build, MIGRATIONS)

if __name__ == "__main__":
    app()
