"""How the switching benchmark pairs its phases (bench/switch.py)."""

from __future__ import annotations

import pytest

from bench.switch import Switched, ratios


def test_each_b_phase_is_compared_with_the_a_phase_before_it() -> None:
    # The machine slows down half way: A and B move together, their ratio does not.
    run = Switched(a=(2000.0, 2000.0, 1000.0, 1000.0), b=(2200.0, 2200.0, 1100.0))
    median, mean = ratios(run)
    assert median == pytest.approx(1.1)
    assert mean == pytest.approx(1.1)


def test_a_run_without_a_pair_says_so() -> None:
    with pytest.raises(ValueError, match="more --events"):
        ratios(Switched(a=(2000.0,), b=()))
