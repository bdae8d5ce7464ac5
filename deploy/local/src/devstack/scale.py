"""``samverkan-dev scale``: the whole network for a larger region registry, timed and weighed."""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from devstack.broker import Tansu, free_port
from devstack.stack import Stack, free_base_port, network_specs
from devstack.startup import progress_display, start_broker
from samverkan_shared.registry import REGISTRY_ENV, Region, RegistryError, load_regions

__all__ = [
    "ScaleError",
    "ScaleReport",
    "ServiceFigures",
    "measure",
    "rss_kib",
    "use_registry",
]

REGIONAL = "regional-council."
CAPTION = "ready after: first service start → its /readyz 200 · RSS: VmRSS when all were ready"
SHORT_CAPTION = "ready after: first start → /readyz 200 · RSS: VmRSS at the end"


class ScaleError(RuntimeError):
    """The network did not come up; the message says which part and where its log is."""


@dataclass(frozen=True)
class ServiceFigures:
    """One service process: when its /readyz first said 200, and its resident memory then."""

    name: str
    ready_after: float
    rss_mib: float


@dataclass(frozen=True)
class ScaleReport:
    """What one scale run measured."""

    registry: Path
    regions: int
    ready_seconds: float
    services: tuple[ServiceFigures, ...]

    @property
    def regional(self) -> tuple[ServiceFigures, ...]:
        """The regional-council processes only."""
        return tuple(s for s in self.services if s.name.startswith(REGIONAL))

    def summary(self) -> list[tuple[str, float]]:
        """(label, MiB): regional min, median, max, and the total of every service."""
        regional = [s.rss_mib for s in self.regional]
        return [
            ("regional min", min(regional)),
            ("regional median", statistics.median(regional)),
            ("regional max", max(regional)),
            (f"total ({len(self.services)} processes)", sum(s.rss_mib for s in self.services)),
        ]

    @property
    def title(self) -> str:
        """One line: how many services, for how many regions, ready in how long."""
        return (
            f"{len(self.services)} services for {self.regions} regions "
            f"ready in {self.ready_seconds:.1f} s"
        )

    def table(self) -> Table:
        """The figures as a Rich table, summary rows last."""
        table = Table(title=self.title, caption=SHORT_CAPTION)
        table.add_column("service", no_wrap=True)
        table.add_column("ready after (s)", justify="right")
        table.add_column("RSS (MiB)", justify="right")
        for s in self.services:
            table.add_row(s.name, f"{s.ready_after:.1f}", f"{s.rss_mib:.1f}")
        table.add_section()
        for label, mib in self.summary():
            table.add_row(label, "", f"{mib:.1f}", style="bold")
        return table

    def markdown(self) -> str:
        """The same figures as a Markdown document."""
        lines = [
            f"# Scale: {self.regions} regions",
            "",
            f"Registry `{self.registry}`, {os.cpu_count()} CPUs: {self.title}.",
            f"{CAPTION}.",
            "",
            "| service | ready after (s) | RSS (MiB) |",
            "| --- | ---: | ---: |",
        ]
        lines += [f"| {s.name} | {s.ready_after:.1f} | {s.rss_mib:.1f} |" for s in self.services]
        lines += [f"| **{label}** | | **{mib:.1f}** |" for label, mib in self.summary()]
        return "\n".join(lines) + "\n"


def use_registry(path: Path) -> tuple[Region, ...]:
    """Make ``path`` the region registry of this process and of every process it starts."""
    os.environ[REGISTRY_ENV] = str(path.resolve())
    # load_regions is cached: a registry read before this call would otherwise stay in force.
    load_regions.cache_clear()
    try:
        return load_regions()
    except (OSError, ValueError) as exc:  # RegistryError and JSONDecodeError are ValueErrors
        kind = "" if isinstance(exc, RegistryError) else f"{path}: "
        raise ScaleError(f"region registry unusable: {kind}{exc}") from exc


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ScaleError(f"no VmRSS for process {pid} (a kernel thread?)")


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM meanwhile: a second one must not orphan half the services."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be changed from the main thread
        return
    before = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def measure(
    registry: Path, *, logs: Path, timeout: float = 180.0, console: Console | None = None
) -> ScaleReport:
    """Start broker and every service for ``registry`` on free ports, measure, stop them all."""
    console = console or Console()
    regions = use_registry(registry)
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):  # Stack appends: keep only this run's lines
        old.unlink()
    broker = Tansu(port=free_port(), log_path=logs / "tansu.log")
    stack = Stack(logs)
    with tempfile.TemporaryDirectory(prefix="samverkan-scale-") as tmp:
        data = Path(tmp)
        try:
            # Nothing listens here: notifications only connects to send mail, and a scale run
            # sends none, so no SMTP sink competes with the services for the two cores.
            smtp_port = free_port()
            specs = network_specs(
                bootstrap=broker.bootstrap,
                database_url=lambda name: f"sqlite+aiosqlite:///{data / name}.db",
                smtp_port=smtp_port,
                keys=data / "keys",
                base_port=free_base_port(len(regions), frozenset({broker.port, smtp_port})),
            )
            ready_at: dict[str, float] = {}
            with progress_display(console) as progress:
                start_broker(progress, broker)
                task = progress.add_task("services ready", total=len(specs))
                started = time.monotonic()
                for spec in specs:
                    stack.start(spec)

                def ready(name: str) -> None:
                    ready_at[name] = time.monotonic() - started
                    progress.advance(task)

                stack.wait_ready(timeout=timeout, on_ready=ready)
                took = time.monotonic() - started
            figures = tuple(
                ServiceFigures(name, ready_at[name], rss_kib(proc.pid) / 1024)
                for name, (_spec, proc) in stack.processes.items()
            )
        except (RuntimeError, TimeoutError, OSError) as exc:
            if isinstance(exc, ScaleError):
                raise
            raise ScaleError(f"{exc} (logs in {logs})") from exc
        finally:
            with _signals_ignored():
                stack.stop_all()
                broker.stop()
    return ScaleReport(registry, len(regions), took, figures)
