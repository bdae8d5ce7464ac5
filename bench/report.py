"""The results of one `make bench`: a Rich table, Markdown, JSON and PNG plots.

Every figure comes from the run's own results objects; a target that was not measured says
so instead of passing. The plots go to ``docs/bench/`` (committed, quoted by the README);
the table and the raw numbers to ``.bench/results.md`` and ``.bench/results.json``.
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt
from rich.table import Table

from bench.cpu import one_service_summary, per_event_summary
from bench.footprint import StartResult
from bench.ingest import IngestResult
from bench.latency import ARRIVAL_WAIT, ASSESSMENT, ESCALATION, LatencyResult
from bench.network import NetworkResult
from bench.notifications import NotificationsResult
from bench.queries import QueryTiming

__all__ = ["Results"]

MIB_PER_150_MB = 150e6 / 2**20  # the target is 150 MB; RSS is read in KiB
Row = tuple[str, str, str, str]  # scenario, what, measured, target and verdict


def _verdict(ok: bool | None, text: str) -> str:
    if ok is None:
        return f"{text}: not measured"
    return f"{text}: {'met' if ok else 'NOT met'}"


@dataclass
class Results:
    """What the run measured so far; scenarios not run (or failed) are simply absent."""

    mode: str
    ingest: IngestResult | None = None
    network: NetworkResult | None = None
    notifications: NotificationsResult | None = None
    queries: list[QueryTiming] = field(default_factory=list)
    starts: list[StartResult] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    # --- rows -------------------------------------------------------------------------------

    def rows(self) -> list[Row]:
        return [
            *self._ingest_rows(),
            *self._latency_rows(),
            *self._cpu_rows(),
            *self._notification_rows(),
            *self._query_rows(),
            *self._footprint_rows(),
            *(("failed", name, error, "") for name, error in self.failures.items()),
        ]

    def _ingest_rows(self) -> list[Row]:
        r = self.ingest
        if r is None:
            return []
        of_ceiling, of_naive = r.service / r.ceiling, r.service / r.naive
        return [
            (
                "ingest",
                f"ceiling: raw aiokafka, decode only ({r.events:,} events)",
                f"{r.ceiling:,.0f}/s",
                "",
            ),
            ("ingest", "naive: FastStream, one message per transaction", f"{r.naive:,.0f}/s", ""),
            ("ingest", "national-council: verify, inbox, PostgreSQL", f"{r.service:,.0f}/s", ""),
            (
                "ingest",
                "national-council: CPU while it applied (% of a core)",
                one_service_summary(r.cpu, "national-council"),
                "",
            ),
            (
                "ingest",
                "national-council: CPU per applied event",
                per_event_summary(r.cpu, r.service, "national-council"),
                "",
            ),
            (
                "ingest",
                "national-council ÷ ceiling",
                f"{of_ceiling:.2f}",
                _verdict(of_ceiling >= 0.20, "≥ 0.20"),
            ),
            (
                "ingest",
                "national-council ÷ naive",
                f"{of_naive:.1f}x",
                _verdict(of_naive >= 10, "≥ 10x"),
            ),
        ]

    def _latency_rows(self) -> list[Row]:
        if self.network is None:
            return []
        out: list[Row] = []
        for r in self.network.latency:
            target = ""
            if r.path == ESCALATION and r.rate == 200:
                target = _verdict(r.p99 < 25, "p99 < 25 ms at 200/s")
            elif r.path == ESCALATION and r.rate == 1000:
                target = _verdict(
                    not r.backlog_grows and r.failed == r.late == 0, "no growing backlog"
                )
            out.append(
                (
                    "latency",
                    r.name,
                    f"p50 {r.p50:.1f} · p95 {r.p95:.1f} · p99 {r.p99:.1f} ms",
                    target,
                )
            )
            out.append(
                (
                    "latency",
                    f"{r.name}: backlog",
                    f"{'GROWS' if r.backlog_grows else 'steady'} (first tenth p50 "
                    f"{r.first_tenth_p50:.0f} ms, last {r.last_tenth_p50:.0f} ms); "
                    f"{r.failed} of {r.sent} refused, {r.late} not arrived in "
                    f"{ARRIVAL_WAIT:.0f} s; started {r.achieved:.0f}/s",
                    "",
                )
            )
            if r.stages:
                out.append(("latency", f"{r.name}: where the time went", r.where(), ""))
        return out

    def _cpu_rows(self) -> list[Row]:
        return [(*row, "") for row in self.network.cpu_rows()] if self.network else []

    def _notification_rows(self) -> list[Row]:
        return [(*row, "") for row in self.notifications.rows()] if self.notifications else []

    def _query_rows(self) -> list[Row]:
        biggest = max((q.issues for q in self.queries), default=0)
        out: list[Row] = []
        for q in self.queries:
            target = ""
            if q.issues == 1_000_000:
                target = _verdict(q.p99 < 20, "p99 < 20 ms at 1M")
            elif q.issues == biggest:
                target = "p99 < 20 ms at 1M: not measured (largest size run)"
            out.append((*q.row(), target))
        return out

    def _footprint_rows(self) -> list[Row]:
        out: list[Row] = []
        if self.network is not None:
            for name, idle in self.network.idle_mib.items():
                load = self.network.load_mib.get(name, float("nan"))
                out.append(
                    (
                        "footprint",
                        f"RSS {name}",
                        f"idle {idle:.0f} MiB · under load {load:.0f} MiB",
                        _verdict(max(idle, load) < MIB_PER_150_MB, "< 150 MB (143 MiB)"),
                    )
                )
        for s in self.starts:
            if s.ready_s is None:
                out.append(("footprint", s.label, s.note, _verdict(None, "< 15 s")))
            else:
                out.append(
                    (
                        "footprint",
                        s.label,
                        f"{s.ready_s:.1f} s as printed ({s.wall_s:.1f} s from spawn)",
                        _verdict(s.ready_s < 15, "< 15 s"),
                    )
                )
        return out

    # --- output -----------------------------------------------------------------------------

    def caption(self) -> str:
        load = os.getloadavg()
        return (
            f"{self.mode} run started {self.started_at}; {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}; load average at the end "
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
        )

    def table(self) -> Table:
        table = Table(title="Samverkan benchmarks", caption=self.caption(), show_lines=False)
        for name in ("scenario", "measure", "result", "target"):
            table.add_column(name, overflow="fold")
        last = None
        for scenario, what, value, target in self.rows():
            if last is not None and scenario != last:
                table.add_section()
            last = scenario
            table.add_row(scenario, what, value, target)
        return table

    def markdown(self) -> str:
        lines = [
            "# Samverkan benchmarks",
            "",
            f"{self.caption()}.",
            "",
            "| scenario | measure | result | target |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| {' | '.join(row)} |" for row in self.rows()]
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        def latency(r: LatencyResult) -> dict[str, Any]:
            data = asdict(r)
            del data["samples"]
            return {**data, "backlog_grows": r.backlog_grows}

        return {
            "mode": self.mode,
            "started_at": self.started_at,
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "ingest": asdict(self.ingest) if self.ingest else None,
            "latency": [latency(r) for r in self.network.latency] if self.network else [],
            "cpu_percent_of_a_core": (
                {"idle": self.network.idle_cpu, "under_load": self.network.load_cpu}
                if self.network
                else None
            ),
            "rss_mib": (
                {"idle": self.network.idle_mib, "under_load": self.network.load_mib}
                if self.network
                else None
            ),
            "notifications": asdict(self.notifications) if self.notifications else None,
            "queue_queries": [asdict(q) for q in self.queries],
            "make_run_ready": [asdict(s) for s in self.starts],
            "failures": self.failures,
            "rows": [list(r) for r in self.rows()],
        }

    def write(self, out: Path, plots: Path) -> list[Path]:
        """results.md and results.json in ``out``; the PNG plots in ``plots``."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.md").write_text(self.markdown(), encoding="utf-8")
        (out / "results.json").write_text(
            json.dumps(self.as_json(), indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        plots.mkdir(parents=True, exist_ok=True)
        return [
            p
            for p in (
                self._plot_ingest(plots),
                self._plot_latency(plots),
                self._plot_timeline(plots),
                self._plot_queries(plots),
                self._plot_footprint(plots),
                self._plot_notifications(plots),
            )
            if p
        ]

    # --- plots ------------------------------------------------------------------------------

    def _save(self, fig: Any, path: Path) -> Path:
        fig.text(0.99, 0.01, self.caption(), ha="right", va="bottom", fontsize=6, color="grey")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path

    def _plot_ingest(self, plots: Path) -> Path | None:
        r = self.ingest
        if r is None:
            return None
        fig, ax = plt.subplots(figsize=(7, 3.5))
        names = ["raw aiokafka\n(ceiling)", "naive FastStream\n(1 msg / tx)", "national-council"]
        values = [r.ceiling, r.naive, r.service]
        bars = ax.bar(names, values, color=["#999999", "#d98c5f", "#3b75af"])
        ax.bar_label(bars, labels=[f"{v:,.0f}/s" for v in values])
        ax.set_yscale("log")
        ax.set_ylabel("escalations per second (log)")
        ax.set_title(f"Ingest: {r.events:,} signed escalations, same broker")
        return self._save(fig, plots / "ingest.png")

    def _plot_latency(self, plots: Path) -> Path | None:
        if self.network is None or not self.network.latency:
            return None
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
        for ax, path in zip(axes, (ESCALATION, ASSESSMENT), strict=True):
            rs = sorted((r for r in self.network.latency if r.path == path), key=lambda r: r.rate)
            rates = [r.rate for r in rs]
            for label, values in (
                ("p50", [r.p50 for r in rs]),
                ("p95", [r.p95 for r in rs]),
                ("p99", [r.p99 for r in rs]),
            ):
                ax.plot(rates, values, marker="o", label=label)
            if path == ESCALATION:
                ax.axhline(25, color="red", linestyle=":", label="target p99 at 200/s")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(rates, [str(x) for x in rates])
            ax.set_xlabel("escalations offered per second (open loop)")
            ax.set_title(path)
            ax.legend()
        axes[0].set_ylabel("latency, ms (log)")
        return self._save(fig, plots / "latency.png")

    def _plot_timeline(self, plots: Path) -> Path | None:
        if self.network is None or not self.network.latency:
            return None
        rs = [r for r in self.network.latency if r.path == ESCALATION and r.samples]
        if not rs:
            return None
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for r in rs:
            xs = [i / len(r.samples) for i in range(len(r.samples))]
            ax.plot(xs, r.samples, ".", markersize=2, label=f"{r.rate}/s")
        ax.set_yscale("log")
        ax.set_xlabel("request, in the order started (fraction of the run)")
        ax.set_ylabel("escalation → national queue, ms (log)")
        ax.set_title("Backlog: does latency climb during the run?")
        ax.legend(markerscale=5)
        return self._save(fig, plots / "latency-timeline.png")

    def _plot_queries(self, plots: Path) -> Path | None:
        if not self.queries:
            return None
        sizes = sorted({q.issues for q in self.queries})

        def shape(query: str) -> str:  # the deep page's number depends on the size
            return "a deep page (keyset)" if query.startswith("page ") else query

        shapes = list(dict.fromkeys(shape(q.query) for q in self.queries))
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for s in shapes:
            pts = sorted((q.issues, q.p99) for q in self.queries if shape(q.query) == s)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=s)
        ax.axhline(20, color="red", linestyle=":", label="target p99 at 1M")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
        ax.set_xlabel("issues in the national queue")
        ax.set_ylabel("p99, ms (log)")
        ax.set_title("Queue page query and search on PostgreSQL")
        ax.legend(fontsize=7)
        return self._save(fig, plots / "queue-queries.png")

    def _plot_footprint(self, plots: Path) -> Path | None:
        if self.network is None:
            return None
        names = list(self.network.idle_mib)
        idle = [self.network.idle_mib[n] for n in names]
        load = [self.network.load_mib.get(n, math.nan) for n in names]
        fig, ax = plt.subplots(figsize=(9, 4))
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], idle, width=0.4, label="idle")
        ax.bar([x + 0.2 for x in xs], load, width=0.4, label="under load (peak)")
        ax.axhline(MIB_PER_150_MB, color="red", linestyle=":", label="target 150 MB")
        ax.set_xticks(
            list(xs), [n.replace("regional-council.", "regional\n") for n in names], fontsize=7
        )
        ax.set_ylabel("RSS, MiB")
        ax.set_title("Resident memory per service process")
        ax.legend()
        return self._save(fig, plots / "footprint.png")

    def _plot_notifications(self, plots: Path) -> Path | None:
        r = self.notifications
        if r is None:
            return None
        fig, ax = plt.subplots(figsize=(6, 3.5))
        names = ["e-mail (SMTP)", "webhooks (verified)", "both"]
        values = [r.mail, r.webhooks, r.total]
        bars = ax.bar(names, values, color=["#3b75af", "#5fa55a", "#999999"])
        ax.bar_label(bars, labels=[f"{v:,.0f}/s" for v in values])
        ax.set_ylabel("deliveries per second")
        ax.set_title(
            f"Notifications: {r.events:,} events x {r.people} people + {r.endpoints} endpoints"
        )
        return self._save(fig, plots / "notifications.png")
