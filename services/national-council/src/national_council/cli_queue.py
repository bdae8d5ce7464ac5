"""``national-council queue list|show|export``: the queue from the shell, read through queue.py."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from national_council.adapters import repository as repo
from national_council.cli_staff import console, run_with_engine
from national_council.domain.model import NationalState, Priority
from national_council.service_layer.queue import QueueFilter, present, queue_page, queue_stats
from samverkan_shared.cli import minute

__all__ = ["queue_app"]

queue_app = typer.Typer(help="The national issue queue: list, show, export.", no_args_is_help=True)

CSV_COLUMNS = [
    "id",
    "region",
    "regional_issue_id",
    "title",
    "state",
    "priority",
    "urgency",
    "areas",
    "assignee",
    "received_at",
    "acknowledge_by",
    "answer_by",
    "answered_at",
    "overdue",
    "link_group",
    "summary",
]
EXPORT_PAGE = 500


def _filter(
    state: list[NationalState] | None,
    region: list[str] | None,
    area: list[str] | None,
    priority: list[Priority] | None,
    assignee: str | None,
    overdue: bool | None,
    search: str | None,
) -> QueueFilter:
    return QueueFilter(
        list(state or []),
        list(region or []),
        list(area or []),
        list(priority or []),
        assignee,
        overdue,
        search,
    )


State = typer.Option(None, "--state", help="Repeat for several")
Region = typer.Option(None, "--region", help="Region code; repeat for several")
Area = typer.Option(None, "--area", help="Area code; repeat for several")
Prio = typer.Option(None, "--priority", help="Repeat for several")
Assignee = typer.Option(None, help="A username, or 'none' for unassigned")
Overdue = typer.Option(None, "--overdue/--not-overdue", help="Only (or no) overdue issues")
Search = typer.Option(None, "--search", "-q", help="Full-text search over title and summary")
Sort = typer.Option(
    "received_at", help="received_at, updated_at, answer_by, priority; '-' first: descending"
)


def _left(issue: dict[str, Any]) -> str:
    answer = issue["sla"]["answer"]
    if issue["sla"]["overdue"]:
        late = (
            answer["seconds_left"]
            if answer["overdue"]
            else issue["sla"]["acknowledge"]["seconds_left"]
        )
        return f"[bold red]overdue {abs(late) / 86_400:.1f} d[/bold red]"
    if answer["seconds_left"] is None:
        return "—"
    return f"{answer['seconds_left'] / 86_400:.1f} d"


@queue_app.command("list")
def list_queue(
    state: list[NationalState] | None = State,
    region: list[str] | None = Region,
    area: list[str] | None = Area,
    priority: list[Priority] | None = Prio,
    assignee: str | None = Assignee,
    overdue: bool | None = Overdue,
    search: str | None = Search,
    sort: str = Sort,
    limit: int = typer.Option(50, min=1, max=500, help="Issues per page"),
    cursor: str | None = typer.Option(None, help="Next page: the cursor the last page printed"),
) -> None:
    """One page of the queue as a table (with the cursor of the next page)."""
    f = _filter(state, region, area, priority, assignee, overdue, search)

    async def read(engine: Any) -> Any:
        async with engine.connect() as conn:
            return await queue_page(conn, f, sort, limit, cursor)

    page = run_with_engine(read, migrate=False)  # a read never changes the schema
    table = Table(
        Column("id", no_wrap=True),  # whole: `queue show` takes it as printed
        "region",
        "title",
        "state",
        "priority",
        "assignee",
        "received",
        "time left",
        title=f"National queue ({len(page.items)} shown)",
    )
    for raw in page.items:
        issue = present(raw)
        table.add_row(
            issue["id"],
            issue["region"],
            issue["title"],
            issue["state"],
            issue["priority"],
            issue["assignee"] or "—",
            minute(issue["received_at"]),
            _left(issue),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"next page: --cursor {page.next_cursor}", highlight=False)


@queue_app.command("show")
def show(issue_id: str = typer.Argument(..., help="The national reference (full id)")) -> None:
    """One issue: its facts, service-level clock, information requests and audit trail."""

    async def read(engine: Any) -> dict[str, Any]:
        async with engine.connect() as conn:
            return present(await repo.issue_detail(conn, issue_id))

    issue = run_with_engine(read, migrate=False)
    facts = Table.grid(padding=(0, 2))
    for label, key in [
        ("title", "title"),
        ("region", "region"),
        ("state", "state"),
        ("priority", "priority"),
        ("urgency", "urgency"),
        ("assignee", "assignee"),
        ("areas", "areas"),
        ("received", "received_at"),
        ("answer by", "answer_by"),
        ("summary", "summary"),
        ("requested outcome", "requested_outcome"),
    ]:
        value = issue[key]
        if isinstance(value, list):
            text = ", ".join(value)
        elif isinstance(value, datetime):
            text = minute(value) + " UTC"
        else:
            text = str(value or "—")
        facts.add_row(f"[bold]{label}[/bold]", text)
    facts.add_row("[bold]time left[/bold]", _left(issue))
    facts.add_row("[bold]linked with[/bold]", ", ".join(issue["linked_issues"]) or "—")
    console.print(facts)
    requests = Table("asked", "question", "due", "answer", title="Information requests")
    for r in issue["information_requests"]:
        requests.add_row(
            minute(r["requested_at"]), r["question"], minute(r["due_at"]), r["answer"] or "—"
        )
    console.print(requests)
    trail = Table("at", "who", "action", "from", "to", "why", title="Audit trail")
    for t in issue["transitions"]:
        trail.add_row(
            minute(t["at"]),
            t["actor"],
            t.get("action") or "transition",
            t["from_state"] or "—",
            t["to_state"],
            t["reason"] or "",
        )
    console.print(trail)


@queue_app.command("export")
def export(
    csv_file: Path = typer.Option(..., "--csv", help="Where to write the CSV", dir_okay=False),
    state: list[NationalState] | None = State,
    region: list[str] | None = Region,
    area: list[str] | None = Area,
    priority: list[Priority] | None = Prio,
    assignee: str | None = Assignee,
    overdue: bool | None = Overdue,
    search: str | None = Search,
) -> None:
    """Every issue matching the filters, as CSV (UTF-8), written page by page with progress."""
    f = _filter(state, region, area, priority, assignee, overdue, search)

    async def write(engine: Any) -> int:
        async with engine.connect() as conn:
            total = (
                sum((await queue_stats(conn))["by_region"].values()) if not _narrowed(f) else None
            )
        written = 0
        with (
            csv_file.open("w", newline="", encoding="utf-8") as out,
            Progress(
                TextColumn("exporting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress,
        ):
            task = progress.add_task("export", total=total)
            writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            cursor = None
            while True:
                # One short read per page: the export never holds one long transaction open.
                async with engine.connect() as conn:
                    page = await queue_page(conn, f, "received_at", EXPORT_PAGE, cursor)
                for raw in page.items:
                    writer.writerow(_csv_row(present(raw)))
                written += len(page.items)
                progress.update(task, advance=len(page.items))
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        return written

    written = run_with_engine(write, migrate=False)
    console.print(f"wrote {written} issues to {csv_file}")


def _narrowed(f: QueueFilter) -> bool:
    return any(
        [f.states, f.regions, f.areas, f.priorities, f.assignee, f.overdue is not None, f.text]
    )


def _csv_row(issue: dict[str, Any]) -> dict[str, Any]:
    row = dict(issue)
    row["areas"] = ";".join(issue["areas"])
    row["overdue"] = "yes" if issue["sla"]["overdue"] else "no"
    for key in ("received_at", "acknowledge_by", "answer_by", "answered_at"):
        value = issue.get(key)
        row[key] = value.astimezone(UTC).isoformat() if isinstance(value, datetime) else ""
    return row
