"""The regional lifecycle, without I/O."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from regional_council.domain.model import LIFECYCLE, RegionalState
from regional_council.settings import RegionalSettings
from samverkan_shared.statemachine import IllegalTransition

S = RegionalState


def test_escalation_dialogue_path() -> None:
    path = [S.OPEN, S.ESCALATED, S.INFORMATION_REQUESTED, S.ESCALATED, S.ANSWERED, S.RESOLVED]
    for current, target in itertools.pairwise(path):
        assert LIFECYCLE.can(current, target), f"{current} → {target}"


def test_resolved_without_escalation() -> None:
    assert LIFECYCLE.can(S.OPEN, S.RESOLVED)


def test_declined_returns_to_regional_handling() -> None:
    assert LIFECYCLE.can(S.ESCALATED, S.OPEN)


def test_a_resolved_issue_cannot_be_escalated_again() -> None:
    with pytest.raises(IllegalTransition, match="'resolved'"):
        LIFECYCLE.check(S.RESOLVED, S.ESCALATED)


def test_the_region_is_a_setting_checked_against_the_registry(tmp_path: Path) -> None:
    key: dict[str, Any] = {"signing_key_id": "k", "signing_key_file": tmp_path / "k.key"}
    assert RegionalSettings(region="sodra", **key).region == "sodra"
    with pytest.raises(ValueError, match="unknown region 'atlantis'"):
        RegionalSettings(region="atlantis", **key)
