"""Where the CPU goes while the network runs: each service, the broker, PostgreSQL, the machine.

Read from ``/proc``: user + system time of every process, a service's summed over its process
group (as its RSS is), Tansu by its command line, PostgreSQL as every process of the
``postgres`` user (with the time of the backends that ended, which the postmaster keeps),
and the whole machine's busy time from ``/proc/stat`` (the kernel's loopback networking
included, time stolen by the hypervisor not). Shares are percent
of one core; the machine has ``os.cpu_count()`` of them, so a share of the machine near that
many hundred percent means the run was waiting for CPU, not for anything else.
"""

from __future__ import annotations

import os
import pwd
import time
from dataclasses import dataclass
from pathlib import Path

from devstack.stack import Stack

__all__ = ["CpuMeter", "CpuReading", "cpu_summary", "one_service_summary", "per_event_summary"]

TICK = os.sysconf("SC_CLK_TCK")
MACHINE = "machine"
TANSU = "Tansu"
POSTGRES = "PostgreSQL"


@dataclass(frozen=True)
class CpuReading:
    """Seconds of CPU each part had used by ``at`` (monotonic)."""

    at: float
    seconds: dict[str, float]

    def shares(self, later: CpuReading) -> dict[str, float]:
        """Percent of one core each part used between this reading and ``later``."""
        span = max(later.at - self.at, 1e-9)
        return {
            name: 100 * (later.seconds[name] - self.seconds.get(name, 0.0)) / span
            for name in later.seconds
        }


def _postgres_uid() -> int | None:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return None


def _machine_busy_seconds() -> float:
    """user + nice + system + irq + softirq: work done here (steal is another VM's)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / TICK


class CpuMeter:
    """Reads the CPU time of a running stack's services, the broker and PostgreSQL."""

    def __init__(self, stack: Stack) -> None:
        self.groups = {proc.pid: name for name, (_s, proc) in stack.processes.items()}
        self.postgres_uid = _postgres_uid()

    def read(self) -> CpuReading:
        seconds = dict.fromkeys([*self.groups.values(), TANSU, POSTGRES], 0.0)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # Fields after the command (which may hold spaces) start after the last ')'.
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                used = (int(stat[11]) + int(stat[12])) / TICK
                name = self.groups.get(int(stat[2]))
                if name is None:
                    if b"tansu" in (entry / "cmdline").read_bytes():
                        name = TANSU
                    elif entry.stat().st_uid == self.postgres_uid:
                        name = POSTGRES
                        # A backend that exits takes its time with it; the postmaster reaps
                        # it and keeps that time as its children's (without it a run whose
                        # connections closed read less than none: "PostgreSQL -7").
                        used += (int(stat[13]) + int(stat[14])) / TICK
                    else:
                        continue
            except (OSError, IndexError, ValueError):
                continue  # the process ended meanwhile
            seconds[name] += used
        seconds[MACHINE] = _machine_busy_seconds()
        return CpuReading(time.monotonic(), seconds)


def cpu_summary(shares: dict[str, float]) -> str:
    """One line: each kind of service (the regions summed), the broker, the database, all."""
    regional = [v for k, v in shares.items() if k.startswith("regional-council")]
    return _line(
        shares,
        [
            ("national", shares.get("national-council", 0.0)),
            (f"{len(regional)} regions", sum(regional)),
            ("notifications", shares.get("notifications", 0.0)),
        ],
    )


def one_service_summary(shares: dict[str, float], service: str) -> str:
    """One line for a scenario that runs one service: it, the broker, the database, all."""
    return _line(shares, [(service, shares.get(service, 0.0))])


def per_event_summary(shares: dict[str, float], rate: float, service: str) -> str:
    """The same parts as CPU time per event at ``rate`` events a second: the cost of each."""
    cost = {name: 10_000 * share / rate for name, share in shares.items()}  # % → µs an event
    parts = [*_parts(cost, [(service, cost.get(service, 0.0))]), ("machine", cost.get(MACHINE, 0))]
    return " · ".join(f"{label} {value:,.0f}" for label, value in parts) + " µs"


def _parts(values: dict[str, float], services: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return [*services, (TANSU, values.get(TANSU, 0.0)), (POSTGRES, values.get(POSTGRES, 0.0))]


def _line(shares: dict[str, float], services: list[tuple[str, float]]) -> str:
    parts = _parts(shares, services)
    cores = os.cpu_count() or 1
    text = " · ".join(f"{label} {value:.0f}" for label, value in parts)
    return f"{text} · machine {shares.get(MACHINE, 0.0):.0f} of {cores * 100} %"
