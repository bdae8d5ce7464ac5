"""``samverkan-dev``: the whole network on one machine, and the tools around it."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from devstack.broker import Tansu, port_in_use
from devstack.mail_viewer import serve_sink
from devstack.preload import preload
from devstack.scale import ScaleError, measure
from devstack.stack import ServiceSpec, Stack, network_specs
from devstack.startup import progress_display, start_broker
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.settings import DEV_API_TOKEN
from samverkan_shared.topics import all_topics

app = typer.Typer(help="The Samverkan network on one machine.", no_args_is_help=True)
console = Console(width=max(Console().width, 100))

RUN_DIR = Path(".run")


def _check_ports(ports: list[int]) -> None:
    taken = [p for p in ports if port_in_use(p)]
    if taken:
        console.print(f"[red]ports already in use: {taken}[/red] — is another `make run` going?")
        raise typer.Exit(1)


@app.command()
def run(
    kafka_port: int = typer.Option(9092, help="Port of the local Tansu broker"),
    base_port: int = typer.Option(8000, help="National on this port, regions +101…, notif. +200"),
    smtp_port: int = typer.Option(1025),
    mail_port: int = typer.Option(8025),
) -> None:
    """Start the broker, the SMTP sink and every service; Ctrl-C stops them all."""
    started = time.monotonic()
    data, logs = RUN_DIR / "data", RUN_DIR / "logs"
    data.mkdir(parents=True, exist_ok=True)
    specs = network_specs(
        bootstrap=f"127.0.0.1:{kafka_port}",
        database_url=lambda name: f"sqlite+aiosqlite:///{(data / name).resolve()}.db",
        smtp_port=smtp_port,
        keys=RUN_DIR / "keys",
        base_port=base_port,
    )
    _check_ports([kafka_port, smtp_port, mail_port, *(s.port for s in specs)])
    broker = Tansu(port=kafka_port, log_path=logs / "tansu.log")
    logs.mkdir(parents=True, exist_ok=True)
    stack = Stack(logs)
    # Explicit handlers: a shell that starts us in the background ignores SIGINT otherwise.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        _start(broker, stack, specs, smtp_port, mail_port)
        _print_tour(specs, mail_port, time.monotonic() - started)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        console.print("[yellow]stopping…[/yellow]")
        stack.stop_all()
        broker.stop()
        console.print("[green]every process stopped[/green]")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _start(
    broker: Tansu, stack: Stack, specs: list[ServiceSpec], smtp_port: int, mail_port: int
) -> None:
    with progress_display(console) as progress:
        sink = ServiceSpec(
            "smtp-sink",
            [
                sys.executable,
                "-m",
                "devstack",
                "smtp-sink",
                "--smtp-port",
                str(smtp_port),
                "--http-port",
                str(mail_port),
                "--folder",
                str((RUN_DIR / "mail").resolve()),
            ],
            mail_port,
            {},
        )
        stack.start(sink)  # its own interpreter: it loads while this one does
        loading = progress.add_task("services imported once (devstack.preload)", total=1)
        preload()
        progress.update(loading, completed=1)
        start_broker(progress, broker)
        services = progress.add_task("services ready", total=len(specs) + 1)
        for spec in specs:
            stack.fork(spec)
        stack.wait_ready(timeout=90, on_ready=lambda _: progress.advance(services))


def _print_tour(specs: list[ServiceSpec], mail_port: int, took: float) -> None:
    table = Table(
        title=f"Samverkan is running (ready in {took:.1f} s)",
        caption="OpenAPI at <URL>/docs · logs in .run/logs/<service>.log · data in .run/data/",
    )
    table.add_column("service", no_wrap=True)
    table.add_column("URL", no_wrap=True)
    for spec in specs:
        table.add_row(spec.name, spec.url)
    table.add_row("captured mail", f"http://127.0.0.1:{mail_port}  (files: .run/mail/)")
    console.print(table)
    national = next((s.url for s in specs if s.name == "national-council"), None)
    if national:
        # The national service creates this account at start in development only.
        console.print(
            f"Staff web UI: {national}/ui  — log in as [bold]admin[/bold] / "
            "[bold]dev-admin-password[/bold] (development only)"
        )
    console.print(
        f"API token (development): [bold]{DEV_API_TOKEN}[/bold]   Ctrl-C stops everything."
    )


@app.command()
def scale(
    regions: Path = typer.Option(
        ...,
        exists=True,
        dir_okay=False,
        help="Region registry JSON, e.g. deploy/local/regions-21.json",
    ),
    out: Path = typer.Option(RUN_DIR / "scale.md", help="Where the Markdown table goes"),
    logs: Path = typer.Option(RUN_DIR / "scale" / "logs", help="One log file per process"),
    timeout: float = typer.Option(180.0, help="Seconds until every /readyz must answer 200"),
) -> None:
    """Start the network for a region registry on free ports, time and weigh it, stop it."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        report = measure(regions, logs=logs, timeout=timeout, console=console)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; every process stopped[/yellow]")
        raise typer.Exit(130) from None
    except ScaleError as exc:
        console.print(f"[red]scale run failed: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(report.table())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.markdown(), encoding="utf-8")
    console.print(f"written to {out}; every process stopped")


@app.command("smtp-sink")
def smtp_sink(
    smtp_port: int = typer.Option(1025),
    http_port: int = typer.Option(8025),
    folder: Path = typer.Option(Path(".run/mail")),
) -> None:
    """A local SMTP server that keeps every message and shows it over HTTP."""
    serve_sink(folder, smtp_port, http_port)


@app.command()
def topics(bootstrap: str = typer.Option("127.0.0.1:9092")) -> None:
    """Create every topic of the registry on a broker (existing ones are left alone)."""
    created = asyncio.run(ensure_topics(bootstrap, all_topics()))
    table = Table("topic", "partitions", "state")
    for spec in all_topics():
        table.add_row(
            spec.name, str(spec.partitions), "created" if spec.name in created else "exists"
        )
    console.print(table)


if __name__ == "__main__":
    app()
