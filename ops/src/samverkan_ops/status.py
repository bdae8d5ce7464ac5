"""``samverkan status``: every service's readiness, consumer lag and outbox backlog in one table."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

import httpx
import typer
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from samverkan_shared.registry import load_regions

__all__ = ["ServiceStatus", "local_services", "probe", "status_command"]

console = Console()
SERVICES_ENV = "SAMVERKAN_SERVICES"


def local_services(base_port: int = 8000) -> dict[str, str]:
    """Where `make run` puts each service: national on base, regions base+101…, notif. base+200."""
    urls = {"national-council": f"http://127.0.0.1:{base_port}"}
    for i, region in enumerate(load_regions(), start=1):
        urls[f"regional-council.{region.code}"] = f"http://127.0.0.1:{base_port + 100 + i}"
    urls["notifications"] = f"http://127.0.0.1:{base_port + 200}"
    return urls


def _parse_services(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(
                f"{item!r}: expected NAME=http(s)://host:port", param_hint="--service"
            )
        out[name.strip()] = url.strip().rstrip("/")
    return out


@dataclass(frozen=True)
class ServiceStatus:
    """What one service reported (None where it did not answer)."""

    name: str
    url: str
    ready: bool
    problem: str
    lag: int | None = None
    lag_partitions: int = 0
    backlog: int | None = None
    oldest_age: float | None = None


def _metrics(text: str) -> tuple[int | None, int, int | None, float | None]:
    lag: int | None = None
    partitions = 0
    backlog: int | None = None
    oldest: float | None = None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "samverkan_consumer_lag":
                lag = (lag or 0) + int(sample.value)
                partitions += 1
            elif sample.name == "samverkan_outbox_backlog":
                backlog = int(sample.value)
            elif sample.name == "samverkan_outbox_oldest_age_seconds":
                oldest = float(sample.value)
    return lag, partitions, backlog, oldest


async def probe(client: httpx.AsyncClient, name: str, url: str) -> ServiceStatus:
    """Ask one service for /readyz and /metrics."""
    try:
        ready = await client.get(f"{url}/readyz")
        checks = ready.json().get("checks", {})
        failing = [f"{k}: {v}" for k, v in checks.items() if v != "ok"]
        metrics = await client.get(f"{url}/metrics")
    except (httpx.HTTPError, ValueError) as exc:
        return ServiceStatus(name, url, False, f"unreachable: {exc.__class__.__name__}")
    lag, parts, backlog, oldest = _metrics(metrics.text)
    problem = "; ".join(failing) or (
        "" if ready.status_code == 200 else f"HTTP {ready.status_code}"
    )
    return ServiceStatus(name, url, ready.status_code == 200, problem, lag, parts, backlog, oldest)


async def probe_all(services: dict[str, str], timeout: float = 5.0) -> list[ServiceStatus]:
    """Every service at once (a slow one does not delay the others)."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        return list(await asyncio.gather(*(probe(client, n, u) for n, u in services.items())))


def _table(rows: list[ServiceStatus]) -> Table:
    table = Table(
        "service",
        "URL",
        "ready",
        "consumer lag",
        "outbox backlog",
        "oldest unsent",
        title="Samverkan services",
        caption="lag: records not yet taken, summed over assigned partitions (count)",
    )
    for r in rows:
        ready = "[green]ready[/green]" if r.ready else f"[red]{r.problem or 'not ready'}[/red]"
        lag = "—" if r.lag is None else f"{r.lag} ({r.lag_partitions})"
        backlog = "—" if r.backlog is None else str(r.backlog)
        oldest = "—" if r.oldest_age is None else f"{r.oldest_age:.1f} s"
        table.add_row(r.name, r.url, ready, lag, backlog, oldest)
    return table


def status_command(
    service: list[str] = typer.Option(
        [],
        "--service",
        "-s",
        help="NAME=URL, repeatable; else $SAMVERKAN_SERVICES, else make run's",
    ),
    base_port: int = typer.Option(8000, envvar="SAMVERKAN_BASE_PORT", help="make run's base port"),
    timeout: float = typer.Option(5.0, help="Seconds to wait for each service"),
) -> None:
    """Each service's readiness, consumer lag and outbox backlog; exit 1 if one is not ready."""
    env = [s for s in os.environ.get(SERVICES_ENV, "").split(",") if s.strip()]
    services = _parse_services(service or env) or local_services(base_port)
    rows = asyncio.run(probe_all(services, timeout))
    console.print(_table(rows))
    if not all(r.ready for r in rows):
        raise typer.Exit(1)
