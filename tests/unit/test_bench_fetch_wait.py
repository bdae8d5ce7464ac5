"""bench.fetch_wait's figures: p50, p90 and the most of the records it timed."""

from __future__ import annotations

import pytest

from bench.fetch_wait import Held, summary


def test_the_summary_is_the_median_the_90th_percentile_and_the_most() -> None:
    run = Held(partitions=6, wait_ms=300, samples=tuple(float(ms) for ms in range(20, 0, -1)))
    assert summary(run) == (10.5, 19.0, 20.0)


def test_a_run_that_timed_nothing_says_so() -> None:
    with pytest.raises(ValueError, match="no record was timed"):
        summary(Held(partitions=1, wait_ms=25, samples=()))
