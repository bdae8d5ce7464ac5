"""``national-council serve|migrate``, ``staff …``, ``token …`` and ``queue …``."""

from __future__ import annotations

from fastapi import FastAPI

from national_council.cli_queue import queue_app
from national_council.cli_staff import MIGRATIONS, staff_app, token_app
from national_council.settings import NationalSettings
from samverkan_shared.cli import service_cli


def _build(settings: NationalSettings) -> FastAPI:
    # Imported here: the whole app (broker, consumers, web) is for `serve`, and importing it
    # made every `staff`/`queue` command seconds slower.
    from national_council.bootstrap import build

    return build(settings)


app = service_cli("national-council", NationalSettings, _build, MIGRATIONS)
app.add_typer(staff_app, name="staff")
app.add_typer(token_app, name="token")
app.add_typer(queue_app, name="queue")

if __name__ == "__main__":
    app()
