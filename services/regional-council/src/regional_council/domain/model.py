"""The regional issue and its lifecycle (plain Python, no infrastructure)."""

from __future__ import annotations

from enum import StrEnum

from samverkan_shared.statemachine import Lifecycle

__all__ = ["LIFECYCLE", "RegionalState"]


class RegionalState(StrEnum):
    """Where an issue stands at the regional council."""

    OPEN = "open"  # handled regionally
    ESCALATED = "escalated"
    INFORMATION_REQUESTED = "information_requested"
    ANSWERED = "answered"  # a national assessment was received
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


_S = RegionalState
_IN_DIALOGUE = frozenset({_S.ANSWERED, _S.OPEN, _S.RESOLVED, _S.WITHDRAWN})

LIFECYCLE: Lifecycle[RegionalState] = Lifecycle(
    "regional issue",
    {
        _S.OPEN: frozenset({_S.ESCALATED, _S.RESOLVED}),
        _S.ESCALATED: _IN_DIALOGUE | {_S.INFORMATION_REQUESTED},
        _S.INFORMATION_REQUESTED: _IN_DIALOGUE | {_S.ESCALATED},
        _S.ANSWERED: frozenset({_S.ANSWERED, _S.RESOLVED, _S.INFORMATION_REQUESTED}),
        _S.RESOLVED: frozenset(),
        _S.WITHDRAWN: frozenset(),
    },
)
"""open → escalated → (information requested ⇄ escalated) → answered → resolved.

A declined escalation returns the issue to ``open`` (handled regionally again).
"""
