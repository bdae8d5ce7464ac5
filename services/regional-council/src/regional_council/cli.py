"""``regional-council serve|migrate`` and ``regional-council api-key create|list|revoke``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from regional_council.adapters.api_keys import ApiKeys
from regional_council.bootstrap import MIGRATIONS, build
from regional_council.settings import RegionalAdminSettings, RegionalSettings
from samverkan_shared.cli import load_settings, minute, service_cli
from samverkan_shared.db import make_engine
from samverkan_shared.migrations import upgrade
from samverkan_shared.statemachine import NotFound

app = service_cli("regional-council", RegionalSettings, build, MIGRATIONS)
keys_app = typer.Typer(help="API keys for the region's IT systems.", no_args_is_help=True)
app.add_typer(keys_app, name="api-key")
console = Console(width=max(Console().width, 120))
T = TypeVar("T")


def _with_keys(action: Callable[[ApiKeys], Awaitable[T]]) -> T:
    settings = load_settings(RegionalAdminSettings)

    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine, MIGRATIONS)  # the key table exists before the first key
            return await action(ApiKeys(engine, settings.region))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except NotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@keys_app.command("create")
def create(name: str = typer.Option(..., help="Which system holds the key, for the audit")) -> None:
    """Create a key for one of the region's systems; it is shown once, never again."""
    row, key = _with_keys(lambda keys: keys.create(name))
    console.print(f"API key for [bold]{row['name']}[/bold] in {row['region']} (id {row['id']}):")
    console.print(key, markup=False, highlight=False)
    console.print("[yellow]Store it now: only its hash is kept.[/yellow]")


@keys_app.command("list")
def list_keys() -> None:
    """The region's keys (never the keys themselves)."""
    rows: list[dict[str, Any]] = _with_keys(lambda keys: keys.list())
    table = Table("id", "name", "prefix", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            r["id"],
            r["name"],
            r["prefix"] + "…",
            minute(r["created_at"]),
            minute(r["last_used_at"]),
            minute(r["revoked_at"]),
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key's id (from `api-key list`)")) -> None:
    """Revoke a key at once."""
    row = _with_keys(lambda keys: keys.revoke(key_id))
    console.print(f"revoked [bold]{row['name']}[/bold] ({row['id']})")


if __name__ == "__main__":
    app()
