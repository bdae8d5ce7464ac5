"""When the latency benchmark says the backlog grows (bench/latency.py)."""

from __future__ import annotations

from bench.latency import LatencyResult


def _run(first: float, last: float, *, late: int = 0) -> LatencyResult:
    """A 10 s run at 1,000/s whose first and last tenths waited these medians (ms)."""
    return LatencyResult(
        rate=1000,
        sent=10_000,
        failed=0,
        p50=last,
        p95=last,
        p99=last,
        first_tenth_p50=first,
        last_tenth_p50=last,
        samples=(),
        achieved=1000.0,
        late=late,
    )


def test_a_flat_run_is_steady() -> None:
    assert not _run(14.0, 13.0).backlog_grows
    assert not _run(189.0, 289.0).backlog_grows  # 100 ms more after 10 s: keeping up


def test_three_times_the_first_wait_grows() -> None:
    assert _run(20.0, 61.0).backlog_grows


def test_a_network_behind_from_its_first_second_grows() -> None:
    # A real run: under three times the first tenth, yet 8.5 s more after 10 s of load.
    assert _run(4530.0, 13010.0).backlog_grows


def test_anything_not_arrived_grows() -> None:
    assert _run(14.0, 13.0, late=1).backlog_grows
