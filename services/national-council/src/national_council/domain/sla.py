"""Service-level clocks: acknowledge within, answer within; the answer clock pauses on the region.

Acknowledged means national staff acted on the issue (it left ``received``); answered means an
assessment answered it or it was declined. While the issue is ``awaiting_region`` the answer
clock stands still (as Zammad, Jira SM and ServiceNow pause on the requester): on resuming, the
answer target moves later by the time spent waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from national_council.domain.model import NationalState

__all__ = ["Clock", "TargetStatus", "clock_fields"]

_S = NationalState
_ANSWERS = frozenset({_S.ASSESSED, _S.DECLINED})
_STOPS = frozenset({_S.ASSESSED, _S.DECLINED, _S.CLOSED, _S.WITHDRAWN})


@dataclass(frozen=True)
class TargetStatus:
    """One target: when due, when met, seconds left (negative: overdue by), overdue."""

    due_at: datetime
    met_at: datetime | None
    seconds_left: float | None
    overdue: bool


@dataclass(frozen=True)
class Clock:
    """The two targets of an issue at a given moment."""

    acknowledge: TargetStatus
    answer: TargetStatus
    paused: bool

    @property
    def overdue(self) -> bool:
        """Either target passed without being met."""
        return self.acknowledge.overdue or self.answer.overdue

    @classmethod
    def of(cls, issue: dict[str, Any], now: datetime) -> Clock:
        """The clock of an issue row."""
        state = NationalState(issue["state"])
        stopped = state in _STOPS
        paused_at = issue.get("paused_at")
        ack = _status(issue["acknowledge_by"], issue.get("acknowledged_at"), stopped, now)
        answer_now = paused_at if paused_at is not None else now
        answer = _status(issue["answer_by"], issue.get("answered_at"), stopped, answer_now)
        return cls(ack, answer, paused_at is not None)


def _status(due: datetime, met: datetime | None, stopped: bool, now: datetime) -> TargetStatus:
    if met is not None or stopped:
        return TargetStatus(due, met, None, False)
    left = (due - now).total_seconds()
    return TargetStatus(due, None, left, left < 0)


def clock_fields(
    issue: dict[str, Any], old: NationalState, new: NationalState, at: datetime
) -> dict[str, Any]:
    """The clock columns that change when an issue moves from old to new."""
    fields: dict[str, Any] = {}
    if old == _S.RECEIVED and issue.get("acknowledged_at") is None and new != _S.WITHDRAWN:
        fields["acknowledged_at"] = at
    if new in _ANSWERS and issue.get("answered_at") is None:
        fields["answered_at"] = at
    if new == _S.AWAITING_REGION and issue.get("paused_at") is None:
        fields["paused_at"] = at
    if old == _S.AWAITING_REGION and issue.get("paused_at") is not None:
        fields["paused_at"] = None
        if new not in _STOPS:
            fields["answer_by"] = issue["answer_by"] + (at - issue["paused_at"])
    return fields
