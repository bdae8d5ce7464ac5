"""``samverkan manifests generate|check``: deployment files from the registries."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from samverkan_ops.generated import Drift, drift, generated_files, write

__all__ = ["manifests_app"]

manifests_app = typer.Typer(
    help="Kubernetes (Kustomize, Strimzi) and Compose files generated from the registries.",
    no_args_is_help=True,
)
_out = Console()
_err = Console(stderr=True)

RootOption = typer.Option(
    Path("."), "--root", help="Repository root the deploy/ paths are relative to"
)


def _table(title: str, changes: list[Drift]) -> Table:
    table = Table("file", "problem", title=title)
    for change in changes:
        table.add_row(change.path, change.problem)
    return table


@manifests_app.command()
def generate(root: Path = RootOption) -> None:
    """Write every generated file (and remove those of regions no longer registered)."""
    changes = write(root)
    if changes:
        _out.print(_table("Updated from the registry", changes))
    _out.print(
        f"[green]{len(generated_files())} generated files up to date "
        f"({len(changes)} written or removed)[/green]"
    )


@manifests_app.command()
def check(root: Path = RootOption) -> None:
    """Exit 1 when the committed files differ from what the registry generates."""
    changes = drift(root)
    if changes:
        _err.print(_table("Manifests drifted from the registry", changes))
        _err.print("Run [bold]samverkan manifests generate[/bold] (or make manifests).")
        raise typer.Exit(1)
    _out.print(f"[green]{len(generated_files())} generated files match the registry[/green]")
