"""``regional-council serve|migrate``."""

from __future__ import annotations

from regional_council.bootstrap import MIGRATIONS, build
from regional_council.settings import RegionalSettings
from samverkan_shared.cli import service_cli

app = service_cli("regional-council", RegionalSettings, build, MIGRATIONS)

if __name__ == "__main__":
    app()
