"""The national issue lifecycle and the rules of the queue (plain Python)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from enum import StrEnum

from samverkan_shared.contracts import Urgency
from samverkan_shared.statemachine import Lifecycle

__all__ = [
    "LIFECYCLE",
    "OPEN_STATES",
    "NationalState",
    "Priority",
    "ServiceLevels",
    "fingerprint",
    "path_to",
]


class NationalState(StrEnum):
    """Where an escalation stands in the national queue."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    IN_ASSESSMENT = "in_assessment"
    AWAITING_REGION = "awaiting_region"
    ASSESSED = "assessed"
    CLOSED = "closed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Priority(StrEnum):
    """How national staff rank an issue in the queue; starts as the region's urgency."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 (low) … 3 (critical): stored, so the queue sorts by it."""
        return _RANKS[self]  # asked once per escalation applied: not a list built each time

    @classmethod
    def of_rank(cls, rank: int) -> Priority:
        """The priority stored as ``rank``."""
        return list(cls)[rank]


_RANKS = {priority: rank for rank, priority in enumerate(Priority)}


_S = NationalState
_ENDS = frozenset({_S.DECLINED, _S.WITHDRAWN})

LIFECYCLE: Lifecycle[NationalState] = Lifecycle(
    "national issue",
    {
        _S.RECEIVED: frozenset({_S.TRIAGED, _S.IN_ASSESSMENT}) | _ENDS,
        _S.TRIAGED: frozenset({_S.IN_ASSESSMENT}) | _ENDS,
        _S.IN_ASSESSMENT: frozenset({_S.AWAITING_REGION, _S.ASSESSED}) | _ENDS,
        _S.AWAITING_REGION: frozenset({_S.IN_ASSESSMENT}) | _ENDS,
        _S.ASSESSED: frozenset({_S.CLOSED, _S.IN_ASSESSMENT, _S.WITHDRAWN}),
        _S.CLOSED: frozenset(),
        _S.DECLINED: frozenset(),
        _S.WITHDRAWN: frozenset(),
    },
)
"""received → triaged → in_assessment ⇄ awaiting_region → assessed → closed; declined, withdrawn."""

OPEN_STATES = frozenset({_S.RECEIVED, _S.TRIAGED, _S.IN_ASSESSMENT, _S.AWAITING_REGION})
"""States in which the issue still waits for a national answer."""

# The way forward from each state towards the states commands aim at: a command that needs
# ``assessed`` on a ``received`` issue walks through ``in_assessment`` and records each step.
_FORWARD: dict[NationalState, NationalState] = {
    _S.RECEIVED: _S.IN_ASSESSMENT,
    _S.TRIAGED: _S.IN_ASSESSMENT,
    _S.AWAITING_REGION: _S.IN_ASSESSMENT,
}


def path_to(current: NationalState, target: NationalState) -> list[NationalState]:
    """The transitions from current to target, through in_assessment where needed."""
    if LIFECYCLE.can(current, target):
        return [target]
    step = _FORWARD.get(current)
    if step is not None and LIFECYCLE.can(step, target):
        return [step, target]
    LIFECYCLE.check(current, target)  # raises IllegalTransition naming the current state
    return []


class ServiceLevels:
    """Acknowledge within a fixed time; answer within a time that depends on urgency."""

    def __init__(self, acknowledge: timedelta, answer: dict[Urgency, timedelta]) -> None:
        self.acknowledge = acknowledge
        self.answer = answer

    def targets(self, received_at: datetime, urgency: Urgency) -> tuple[datetime, datetime]:
        """(acknowledge by, answer by)."""
        return received_at + self.acknowledge, received_at + self.answer[urgency]


def fingerprint(title: str, summary: str, recommendation: str, areas: list[str]) -> str:
    """SHA-256 of an assessment's content, which regions can cite."""
    canonical = json.dumps(
        {"title": title, "summary": summary, "recommendation": recommendation, "areas": areas},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
