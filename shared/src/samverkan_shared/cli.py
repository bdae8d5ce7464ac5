"""The command line every service shares: ``serve`` and ``migrate``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from rich.console import Console
from rich.table import Table

from samverkan_shared.asyncapi import document, render
from samverkan_shared.db import make_engine
from samverkan_shared.migrations import upgrade
from samverkan_shared.settings import ServiceSettings

__all__ = ["load_settings", "minute", "service_cli"]

_err = Console(stderr=True)
S = TypeVar("S", bound=ServiceSettings)
AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def minute(moment: datetime | None) -> str:
    """A moment in UTC to the minute, as the web pages show times; "" for none."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def load_settings(settings_cls: type[AnySettings]) -> AnySettings:
    """Settings from the environment; invalid ones are a table naming each variable, exit 2."""
    try:
        return settings_cls()
    except ValidationError as exc:
        table = Table("setting", "problem", title="Invalid configuration", title_style="bold red")
        for err in exc.errors():
            name = "SAMVERKAN_" + "_".join(str(p) for p in err["loc"]).upper()
            table.add_row(name, err["msg"])
        _err.print(table)
        raise typer.Exit(2) from exc


def service_cli(
    name: str, settings_cls: type[S], build: Callable[[S], FastAPI], migrations: Path
) -> typer.Typer:
    """A Typer app with the service's subcommands."""
    app = typer.Typer(name=name, help=f"The {name} service.", no_args_is_help=True)

    @app.command()
    def serve() -> None:
        """Run the HTTP API, the consumers and the outbox relay in one process."""
        settings = load_settings(settings_cls)
        uvicorn.run(
            build(settings),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            access_log=False,
        )

    @app.command()
    def migrate(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
        """Bring the service's database to a revision (Alembic; head by default)."""
        settings = load_settings(settings_cls)

        async def run() -> None:
            engine = make_engine(settings.database_url)
            try:
                await upgrade(engine, migrations, revision)
            finally:
                await engine.dispose()

        asyncio.run(run())
        _err.print(f"[green]{name}: database at {revision}[/green]")

    @app.command()
    def asyncapi() -> None:
        """Print the service's AsyncAPI document (what it serves at /asyncapi.json)."""
        settings = load_settings(settings_cls)
        service = build(settings)
        runtime = service.state.runtime
        doc = document(
            runtime.name,
            runtime.broker,
            title=service.title,
            description=service.description,
            version=service.version,
        )
        sys.stdout.write(render(doc))

    return app
