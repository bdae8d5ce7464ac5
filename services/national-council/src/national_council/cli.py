"""``national-council serve|migrate``."""

from __future__ import annotations

from samverkan_shared.cli import service_cli

from national_council.bootstrap import build, storage
from national_council.settings import NationalSettings

app = service_cli("national-council", NationalSettings, build, storage)

if __name__ == "__main__":
    app()
