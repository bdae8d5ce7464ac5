"""The fault suite in its short form (``make faults`` runs it with 2,000 escalations each).

One network of its own (its own Tansu, restartable on the same port), every scenario in turn;
each must end with nothing lost, nothing applied twice, nothing out of order, nothing unsent
and no dead letter that should not be there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.network import FaultNetwork, fault_network
from tests.faults.report import write_report
from tests.faults.scenarios import SCENARIOS, Result, run_scenario

SHORT = 60  # escalations per scenario: the whole file stays within about four minutes
RESULTS: list[Result] = []


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultNetwork]:
    with fault_network(tmp_path_factory.mktemp("faults")) as network:
        yield network
    write_report(RESULTS, Path(".run/faults-short"))


@pytest.mark.parametrize("name", list(SCENARIOS(full=False)))
def test_guarantees_hold_under(net: FaultNetwork, name: str) -> None:
    result = asyncio.run(run_scenario(net, name, SCENARIOS(full=False)[name], SHORT, 150.0))
    RESULTS.append(result)
    assert (result.lost, result.duplicated, result.out_of_order) == (0, 0, 0), result.notes
    assert result.ok, result.notes
