"""The national lifecycle, without I/O."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from national_council.domain.model import (
    LIFECYCLE,
    NationalState,
    ServiceLevels,
    fingerprint,
    path_to,
)
from samverkan_shared.contracts import Urgency
from samverkan_shared.statemachine import IllegalTransition

S = NationalState


def test_the_main_path_is_allowed() -> None:
    path = [
        S.RECEIVED,
        S.TRIAGED,
        S.IN_ASSESSMENT,
        S.AWAITING_REGION,
        S.IN_ASSESSMENT,
        S.ASSESSED,
        S.CLOSED,
    ]
    for current, target in itertools.pairwise(path):
        assert LIFECYCLE.can(current, target), f"{current} → {target}"


@pytest.mark.parametrize("final", [S.CLOSED, S.DECLINED, S.WITHDRAWN])
def test_ends_are_final(final: NationalState) -> None:
    assert LIFECYCLE.is_final(final)
    with pytest.raises(IllegalTransition, match=f"is '{final.value}'"):
        LIFECYCLE.check(final, S.IN_ASSESSMENT)


def test_commands_walk_through_in_assessment() -> None:
    assert path_to(S.RECEIVED, S.AWAITING_REGION) == [S.IN_ASSESSMENT, S.AWAITING_REGION]
    assert path_to(S.AWAITING_REGION, S.ASSESSED) == [S.IN_ASSESSMENT, S.ASSESSED]
    assert path_to(S.IN_ASSESSMENT, S.ASSESSED) == [S.ASSESSED]


def test_closing_an_unassessed_issue_names_its_state() -> None:
    with pytest.raises(IllegalTransition, match="'received'"):
        path_to(S.RECEIVED, S.CLOSED)


def test_service_levels_depend_on_urgency() -> None:
    levels = ServiceLevels(
        timedelta(hours=24),
        {u: timedelta(days=d) for u, d in zip(Urgency, [60, 30, 7, 2], strict=True)},
    )
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ack, answer = levels.targets(at, Urgency.CRITICAL)
    assert ack == at + timedelta(hours=24)
    assert answer == at + timedelta(days=2)


def test_fingerprint_is_stable_and_content_bound() -> None:
    a = fingerprint("t", "s", "r", ["clinical-placement"])
    assert a == fingerprint("t", "s", "r", ["clinical-placement"])
    assert a != fingerprint("t", "s", "r2", ["clinical-placement"])
    assert len(a) == 64
