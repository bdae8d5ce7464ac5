"""``regional-council serve|migrate``."""

from __future__ import annotations

from samverkan_shared.cli import service_cli

from regional_council.bootstrap import build, storage
from regional_council.settings import RegionalSettings

app = service_cli("regional-council", RegionalSettings, build, storage)

if __name__ == "__main__":
    app()
