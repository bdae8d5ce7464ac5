"""Footprint: resident memory of each service idle and under load, and `make run` to ready.

RSS is ``VmRSS`` from ``/proc/<pid>/status``, summed over the service's process group (each
service is started in its own session, so anything it forks counts against it). "Under
load" is the peak seen, sampled every half second, while the latency scenario drives the
network. The start time is what ``samverkan-dev run`` (the command ``make run`` runs)
prints as "ready in X s" — broker up, topics created, every /readyz 200 — in a fresh working
directory (no ``.run``: keys generated, SQLite files created), and once more with that
directory kept, plus the wall time from spawning the command to that line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.broker import port_in_use
from devstack.stack import BIN, Stack

__all__ = [
    "RUN_PORTS",
    "RssSampler",
    "StartResult",
    "make_run_ready",
    "rss_by_group",
]

# What `make run` listens on: Tansu, national, six regions, notifications, SMTP, mail viewer.
RUN_PORTS = [9092, 8000, *range(8101, 8107), 8200, 1025, 8025]
READY = re.compile(r"ready in ([0-9.]+) s")


def rss_by_group(pgids: set[int]) -> dict[int, float]:
    """Resident memory of every live process in each group of ``pgids``, MiB; one /proc scan.

    A process the leader forked and that has not yet run its new program (the moment
    between fork and exec of a helper's start: the same command line as the leader) is left
    out: its VmRSS is the leader's own pages, shared, not more memory. Counted, it doubled a
    sample: the national council read 227 MiB under load once, when a sample fell on its
    signature helper's start (110 MiB idle, 124 MiB in the runs before and after).
    """
    total = dict.fromkeys(pgids, 0)
    members: list[tuple[int, int, bytes, int]] = []  # pid, pgid, command line, KiB
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Fields after the command (which may hold spaces) start after the last ')'.
            pgid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2])
            if pgid not in total:
                continue
            kib = next(
                int(line.split()[1])
                for line in (entry / "status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
            members.append((int(entry.name), pgid, (entry / "cmdline").read_bytes(), kib))
        except (OSError, IndexError, ValueError, StopIteration):
            continue  # the process ended meanwhile (or is a zombie, with no VmRSS)
    leaders = {pgid: command for pid, pgid, command, _kib in members if pid == pgid}
    for pid, pgid, command, kib in members:
        if pid != pgid and command == leaders.get(pgid):
            continue  # forked, not yet exec'd
        total[pgid] += kib
    return {pgid: kib / 1024 for pgid, kib in total.items()}


@dataclass
class RssSampler:
    """Samples every process of a stack in a thread; keeps each one's peak."""

    stack: Stack
    every: float = 0.5
    peak: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def now(self) -> dict[str, float]:
        """One reading of each service, MiB."""
        groups = {name: proc.pid for name, (_s, proc) in self.stack.processes.items()}
        mib = rss_by_group(set(groups.values()))
        return {name: mib[pgid] for name, pgid in groups.items()}

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, mib in self.now().items():
                self.peak[name] = max(self.peak.get(name, 0.0), mib)
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


@dataclass(frozen=True)
class StartResult:
    """One start of ``samverkan-dev run``: what it printed and what the clock said."""

    label: str
    ready_s: float | None  # as printed by the command
    wall_s: float | None  # spawn → the "ready in" line
    note: str = ""


def make_run_ready(timeout: float = 180.0) -> list[StartResult]:
    """Start ``samverkan-dev run`` twice in a fresh directory (first start, restart); Ctrl-C each."""
    taken = [p for p in RUN_PORTS if port_in_use(p)]
    if taken:
        note = f"not measured: ports {taken} in use (another `make run`?)"
        return [StartResult("make run → every service ready", None, None, note)]
    out = []
    with tempfile.TemporaryDirectory(prefix="samverkan-bench-run-") as cwd:
        for label in ("make run → ready (fresh .run)", "make run → ready (existing .run)"):
            out.append(_one_start(label, Path(cwd), timeout))
    return out


def _one_start(label: str, cwd: Path, timeout: float) -> StartResult:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "samverkan-dev"), "run"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen: list[str] = []
    found: list[float] = []
    wall: list[float] = []

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            seen.append(line)
            match = READY.search(line)
            if match and not found:
                wall.append(time.perf_counter() - started)
                found.append(float(match.group(1)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not found and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # Ctrl-C, as a person would; the command stops every process it started.
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(5)
    if not found:
        tail = "".join(seen[-5:]).strip().replace("\n", " / ")
        return StartResult(
            label, None, None, f"no 'ready in' line (exit {proc.returncode}): {tail}"
        )
    return StartResult(label, found[0], wall[0])
