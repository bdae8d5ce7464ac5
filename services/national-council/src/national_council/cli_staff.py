"""``national-council staff …`` and ``national-council token …``: accounts from the shell.

This is how the first admin of a production deployment is made (the web UI needs one to
sign in with).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import Field
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from national_council.domain.staff import Role
from national_council.service_layer.accounts import Accounts
from samverkan_shared.cli import load_settings, minute
from samverkan_shared.db import make_engine
from samverkan_shared.migrations import upgrade
from samverkan_shared.settings import DatabaseSettings
from samverkan_shared.statemachine import Conflict, NotFound

__all__ = ["AdminSettings", "console", "run_with_engine", "staff_app", "token_app"]

# Not imported from bootstrap: account commands must not need the whole app to import.
MIGRATIONS = Path(__file__).parent / "migrations"
console = Console(width=max(Console().width, 120))
T = TypeVar("T")

staff_app = typer.Typer(
    help="Staff accounts (reader, triager, assessor, admin).", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens of staff accounts.", no_args_is_help=True)


class AdminSettings(DatabaseSettings):
    """What the admin commands need: only the database (the same one `make run` uses)."""

    database_url: str = Field(
        "sqlite+aiosqlite:///./.run/data/national-council.db", description="SQLAlchemy async URL"
    )


def run_with_engine(action: Callable[[Any], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``action(engine)`` on the configured database; errors are one red line, exit 1."""
    settings = load_settings(AdminSettings)

    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            if migrate:
                await upgrade(engine, MIGRATIONS)  # the tables exist before the first account
            return await action(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (NotFound, Conflict, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    except DBAPIError as exc:  # unreachable, or not migrated: reads never migrate
        console.print(
            f"[red]database {settings.database_url.split('@')[-1]}: {exc.orig}[/red]\n"
            "Is it reachable, and migrated (`national-council migrate`)?"
        )
        raise typer.Exit(1) from exc


def _accounts(action: Callable[[Accounts], Awaitable[T]]) -> T:
    return run_with_engine(lambda engine: action(Accounts(engine)))


@staff_app.command("create")
def create(
    username: str = typer.Argument(..., help="Login name: lower-case letters, digits, . - _"),
    role: Role = typer.Option(..., help="reader, triager, assessor or admin"),
    name: str = typer.Option("", help="Display name (default: the username)"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Asked for if not given (at least 12 characters)",
    ),
) -> None:
    """Create a staff account."""
    row = _accounts(lambda a: a.create(username, name or username, role, password, "cli"))
    console.print(f"created [bold]{row['username']}[/bold] with the role {row['role']}")


@staff_app.command("list")
def list_staff() -> None:
    """Every staff account (never a password)."""
    rows = _accounts(lambda a: a.list_accounts())
    table = Table("username", "name", "role", "created", "last login", "disabled", "locked until")
    for r in rows:
        table.add_row(
            r["username"],
            r["display_name"],
            r["role"],
            minute(r["created_at"]),
            minute(r["last_login_at"]),
            minute(r["disabled_at"]),
            minute(r["locked_until"]),
        )
    console.print(table)


@staff_app.command("disable")
def disable(username: str = typer.Argument(..., help="The account to disable")) -> None:
    """Disable an account at once: its sessions end and its tokens stop working."""
    row = _accounts(lambda a: a.disable(username))
    console.print(f"disabled [bold]{row['username']}[/bold]")


@staff_app.command("enable")
def enable(username: str = typer.Argument(..., help="The account to enable")) -> None:
    """Enable a disabled account again (also lifts a lockout after failed logins)."""
    row = _accounts(lambda a: a.enable(username))
    console.print(f"enabled [bold]{row['username']}[/bold]")


@token_app.command("create")
def create_token(
    username: str = typer.Argument(..., help="Whose token: it acts with this account's role"),
    name: str = typer.Option(..., help="What the token is for, for the audit"),
) -> None:
    """Create an API token; it is shown once, never again."""
    row, token = _accounts(lambda a: a.create_token(username, name))
    console.print(f"API token [bold]{row['name']}[/bold] of {row['username']} (id {row['id']}):")
    console.print(token, markup=False, highlight=False)
    console.print("[yellow]Store it now: only its hash is kept.[/yellow]")


@token_app.command("list")
def list_tokens(
    username: str | None = typer.Argument(None, help="Only this account's tokens"),
) -> None:
    """Tokens (never the tokens themselves), newest first."""
    rows = _accounts(lambda a: a.tokens(username))
    table = Table("id", "username", "name", "prefix", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            r["id"],
            r["username"],
            r["name"],
            r["prefix"] + "…",
            minute(r["created_at"]),
            minute(r["last_used_at"]),
            minute(r["revoked_at"]),
        )
    console.print(table)


@token_app.command("revoke")
def revoke_token(
    token_id: str = typer.Argument(..., help="The token's id (from `token list`)"),
) -> None:
    """Revoke a token at once."""
    row = _accounts(lambda a: a.revoke_token(token_id))
    console.print(f"revoked [bold]{row['name']}[/bold] of {row['username']} ({row['id']})")
