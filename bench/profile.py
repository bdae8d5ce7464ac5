"""Where the time goes: one service under pyinstrument while a scenario drives it.

    .venv/bin/python -m bench.profile national-ingest|regional-escalate|notifications [-n N]

The service runs as its real process (``pyinstrument … national-council serve``); when the
scenario is done it is stopped with SIGTERM and pyinstrument writes ``.bench/profile/<name>
.pstats``. The tables show, as a share of the time the process was *busy* (sampled wall time
minus the event loop waiting in ``select``/``epoll``), the functions with the most time
inclusive of what they call, and those with the most time in themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import signal
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import notifications
from bench.infra import RUN_DIR, broker, databases, national_behind, stack
from bench.ingest import _rate_of
from bench.latency import BODY, _client, _post_many
from devstack.stack import Stack
from samverkan_shared.registry import load_regions

__all__ = ["busy_table", "main"]

OUT = RUN_DIR / "profile"
IDLE = ("select", "poll", "epoll", "_run_once")  # the event loop waiting, not working
OURS = ("samverkan_shared", "national_council", "regional_council", "notifications")


def national_ingest(n: int, out: Path) -> None:
    """n signed escalations waiting on the broker; the service applies them all."""
    with national_behind(n, logs=OUT / "logs", profile=out) as (running, dsn):
        asyncio.run(_rate_of(dsn, "issues", n))
        stop_profiled(running, "national-council")


def regional_escalate(n: int, out: Path) -> None:
    """n escalations over HTTP to one region, 100 a second, open loop."""
    name = f"regional-council.{load_regions()[0].code}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        broker() as bootstrap,
        databases([name]) as dbs,
        stack(
            [name],
            bootstrap=bootstrap,
            dbs=dbs,
            keys=Path(tmp) / "keys",
            logs=OUT / "logs",
            profile={name: out},
        ) as running,
    ):
        url = running.processes[name][0].url

        async def drive() -> None:
            client = _client()
            try:
                await _post_many(client, [url], "/escalations", BODY, 100, n / 100)
            finally:
                await client.close()

        asyncio.run(drive())
        stop_profiled(running, name)


def notifications_fanout(n: int, out: Path) -> None:
    """n events to 5 people and 5 endpoints."""
    notifications.run(events=n, people=5, endpoints=5, profile=out)


SCENARIOS = {
    "national-ingest": national_ingest,
    "regional-escalate": regional_escalate,
    "notifications": notifications_fanout,
}


def stop_profiled(running: Stack, name: str, wait: float = 300.0) -> None:
    """Ctrl-C, then wait: pyinstrument writes only after a clean exit (SIGTERM kills it)."""
    _spec, proc = running.processes[name]
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(wait)


def _where(key: tuple[str, int, str]) -> str:
    path, line, func = key
    for marker in (*OURS, "site-packages/"):
        if marker in path:
            path = path[path.index(marker) :].removeprefix("site-packages/")
            break
    return f"{path}:{line} {func}"


def _idle(key: tuple[str, int, str]) -> bool:
    """pyinstrument books the loop's wait in select on the frame that runs the loop."""
    path, _line, func = key
    return (
        func in IDLE
        or "select" in func
        or path.endswith(("asyncio/runners.py", "asyncio/base_events.py", "selectors.py"))
        or path.startswith("<thread>")
    )


def busy_table(path: Path, title: str, top: int = 25) -> Table:
    """Cumulative and own time of the busiest functions, % of the busy time."""
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())  # sum of own times = sampled time
    idle = sum(v[2] for k, v in raw.items() if _idle(k))
    busy = max(total - idle, 1e-9)
    table = Table(
        title=f"{title}: busy {busy:.1f} s of {total:.1f} s sampled",
        caption="cum = with what it calls; own = in the function itself; % of busy time",
    )
    for col in ("function", "cum %", "own %"):
        table.add_column(col, justify="left" if col == "function" else "right")
    rows = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)
    shown = 0
    for key, (_cc, _nc, own, cum, _callers) in rows:
        if _idle(key) or cum > busy * 1.001 or not any(m in key[0] for m in OURS):
            continue  # only our code in the cumulative list: it says which path is slow
        table.add_row(_where(key), f"{100 * cum / busy:.1f}", f"{100 * own / busy:.1f}")
        shown += 1
        if shown >= top:
            break
    table.add_section()
    for key, (_cc, _nc, own, _cum, _callers) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    )[: top + 5]:
        if _idle(key):
            continue
        table.add_row(_where(key), "", f"{100 * own / busy:.1f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("-n", type=int, default=3000, help="events or requests")
    parser.add_argument("--only-report", action="store_true", help="render an earlier profile")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{args.scenario}.pstats"
    if not args.only_report:
        SCENARIOS[args.scenario](args.n, out)
    Console(width=160).print(busy_table(out, args.scenario))


if __name__ == "__main__":
    main()
