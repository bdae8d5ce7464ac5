"""`make bench` — every scenario side by side in one run, then one table, files and plots.

    .venv/bin/python -m bench [--quick] [--only ingest,network,notifications,queries,start]

``--quick`` (``BENCH_QUICK=1 make bench``) is a smoke run: small sizes, short rates, the
smallest queue; the figures prove the harness works, not the system's speed. Each scenario
runs on its own fresh broker and databases; one that fails is reported as failed and the
others still run (the exit code is then 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench import footprint, ingest, network, notifications, queries
from bench.infra import RUN_DIR
from bench.report import Results

PLOTS = Path("docs/bench")
SCENARIOS = ("ingest", "network", "notifications", "queries", "start")


@dataclass(frozen=True)
class Sizes:
    """How much each scenario does."""

    ingest_events: int
    rates: tuple[int, ...]
    seconds: float
    notification_events: int
    people: int
    endpoints: int
    queue_sizes: tuple[int, ...]
    query_runs: int


FULL = Sizes(10_000, (50, 200, 1000), 10.0, 1000, 10, 10, (10_000, 100_000, 1_000_000), 200)
QUICK = Sizes(2_000, (50, 200, 1000), 3.0, 100, 5, 5, (10_000,), 30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    parser.add_argument("--out", type=Path, default=RUN_DIR, help="where results.md/.json go")
    parser.add_argument("--plots", type=Path, default=PLOTS, help="where the PNG plots go")
    args = parser.parse_args(argv)
    chosen = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"--only: unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    sizes = QUICK if args.quick else FULL
    console = Console(width=max(Console().width, 140))
    results = Results(mode="quick" if args.quick else "full")

    def ingest_step() -> None:
        results.ingest = ingest.run(sizes.ingest_events)

    def network_step() -> None:
        results.network = network.run(sizes.rates, sizes.seconds, console)

    def notifications_step() -> None:
        results.notifications = notifications.run(
            sizes.notification_events, sizes.people, sizes.endpoints
        )

    def queries_step() -> None:
        results.queries = queries.run(sizes.queue_sizes, sizes.query_runs, console)

    def start_step() -> None:
        results.starts = footprint.make_run_ready()

    steps: dict[str, tuple[str, Callable[[], None]]] = {
        "ingest": ("ingest: ceiling, naive, national-council", ingest_step),
        "network": ("latency and footprint: the whole network on PostgreSQL", network_step),
        "notifications": ("notifications: SMTP and webhooks", notifications_step),
        "queries": (
            "queue queries at " + ", ".join(f"{s:,}" for s in sizes.queue_sizes),
            queries_step,
        ),
        "start": ("make run → ready", start_step),
    }
    for i, name in enumerate(chosen, start=1):
        title, step = steps[name]
        console.rule(f"[bold]{i}/{len(chosen)} {title}")
        began = time.monotonic()
        try:
            step()
        except KeyboardInterrupt:
            results.failures[name] = "interrupted"
            break
        except Exception as exc:  # one broken scenario must not hide the others' figures
            traceback.print_exc()
            results.failures[name] = f"{type(exc).__name__}: {exc}"
        console.log(f"{name} took {time.monotonic() - began:.0f} s")
        results.write(args.out, args.plots)  # partial results survive a later failure
    console.print(results.table())
    written = results.write(args.out, args.plots)
    console.print(
        f"written: {args.out / 'results.md'}, {args.out / 'results.json'}, "
        + ", ".join(str(p) for p in written)
    )
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
