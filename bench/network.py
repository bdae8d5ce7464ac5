"""The whole network on PostgreSQL for latency and footprint: both measured in one start.

National, one regional service per registered region and notifications, each a real
process with its own fresh database, on a fresh broker. RSS is read idle (after start and a
settling pause, before any request), then sampled throughout the latency runs (under load).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench.cpu import CpuMeter, cpu_summary
from bench.footprint import RssSampler
from bench.infra import RUN_DIR, broker, databases, stack
from bench.latency import LatencyResult, Network, measure, warm_up
from samverkan_shared.registry import load_regions

__all__ = ["NetworkResult", "run"]

SETTLE_SECONDS = 5.0
IDLE_CPU_SECONDS = 10.0


@dataclass(frozen=True)
class NetworkResult:
    """Latency of both paths at each rate, and every service's memory."""

    latency: list[LatencyResult]
    idle_mib: dict[str, float]
    load_mib: dict[str, float]
    idle_cpu: dict[str, float]
    """Percent of one core over ``IDLE_CPU_SECONDS`` with nothing sent."""
    load_cpu: dict[int, dict[str, float]]
    """Offered escalation rate → percent of one core from its first request to the last arrival."""

    def cpu_rows(self) -> list[tuple[str, str, str]]:
        rows = [("cpu", "idle: started, nothing sent", cpu_summary(self.idle_cpu))]
        rows += [
            ("cpu", f"during the run at {rate}/s (until the last arrival)", cpu_summary(shares))
            for rate, shares in self.load_cpu.items()
        ]
        return rows

    def footprint_rows(self) -> list[tuple[str, str, str]]:
        return [
            (
                "footprint",
                f"RSS {name}",
                f"idle {self.idle_mib[name]:.0f} MiB · under load {self.load_mib.get(name, 0):.0f} MiB",
            )
            for name in self.idle_mib
        ]


def run(
    rates: tuple[int, ...] = (50, 200, 1000), seconds: float = 10.0, console: Console | None = None
) -> NetworkResult:
    """Start the network once; idle RSS; each rate (both paths) while RSS is sampled."""
    console = console or Console()
    regions = [r.code for r in load_regions()]
    regional = [f"regional-council.{r}" for r in regions]
    names = ["national-council", *regional, "notifications"]
    results: list[LatencyResult] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        broker() as bootstrap,
        databases(names) as dbs,
        stack(
            names,
            bootstrap=bootstrap,
            dbs=dbs,
            keys=Path(tmp) / "keys",
            logs=RUN_DIR / "logs" / "network",
        ) as running,
    ):
        specs = {name: spec for name, (spec, _p) in running.processes.items()}
        net = Network(
            national_url=specs["national-council"].url,
            national_dsn=dbs["national-council"],
            regional_urls=[specs[n].url for n in regional],
            regional_dsns=[dbs[n] for n in regional],
        )
        sampler = RssSampler(running)
        meter = CpuMeter(running)
        time.sleep(SETTLE_SECONDS)
        idle = sampler.now()
        before = meter.read()
        time.sleep(IDLE_CPU_SECONDS)
        idle_cpu = before.shares(meter.read())
        console.log("idle RSS and CPU read; warming up")
        load_cpu: dict[int, dict[str, float]] = {}
        with sampler:
            asyncio.run(warm_up(net))
            for rate in rates:
                console.log(f"latency at {rate} escalations/s for {seconds:.0f} s")
                before = meter.read()
                results.extend(asyncio.run(measure(net, rate, seconds)))
                load_cpu[rate] = before.shares(meter.read())
        return NetworkResult(results, idle, dict(sampler.peak), idle_cpu, load_cpu)
