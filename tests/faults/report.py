"""The fault suite's report: a Rich table on the terminal, Markdown and JSON on disk."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tests.faults.scenarios import Result

__all__ = ["write_report"]

COLUMNS = [
    "scenario",
    "events sent",
    "faults injected",
    "lost",
    "duplicated",
    "out of order",
    "recovery (s)",
    "invariants",
]


def _cells(r: Result) -> list[str]:
    return [
        r.scenario,
        str(r.events_sent),
        str(r.faults_injected),
        str(r.lost),
        str(r.duplicated),
        str(r.out_of_order),
        f"{r.recovery_seconds:.1f}",
        "held" if r.ok else "VIOLATED",
    ]


def write_report(results: list[Result], out: Path, console: Console | None = None) -> None:
    """Print the table and write ``report.md`` and ``report.json`` into ``out``."""
    table = Table(title="Samverkan fault suite")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in results:
        table.add_row(*_cells(r))
    (console or Console(width=150)).print(table)
    for r in results:
        for note in r.notes:
            (console or Console(width=150)).print(f"  {r.scenario}: {note}")
    out.mkdir(parents=True, exist_ok=True)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in results]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    (out / "report.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
