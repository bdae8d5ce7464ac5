"""Why a message cannot be applied. Each error names what failed, for the dead letter."""

from __future__ import annotations

__all__ = [
    "ContractViolation",
    "EnvelopeError",
    "PoisonMessage",
    "Rejected",
    "UnknownEventType",
]


class PoisonMessage(Exception):
    """A message that will never succeed however often it is retried: dead-letter it."""

    reason: str = "poison"


class EnvelopeError(PoisonMessage):
    """The CloudEvents envelope is malformed."""

    reason = "invalid-envelope"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class UnknownEventType(PoisonMessage):
    """No contract is registered for this type."""

    reason = "unknown-type"

    def __init__(self, event_type: str) -> None:
        super().__init__(f"ce_type: no contract for {event_type!r}")
        self.event_type = event_type


class ContractViolation(PoisonMessage):
    """The data does not satisfy the contract of its type."""

    reason = "contract-violation"

    def __init__(self, event_type: str, problems: list[tuple[str, str]]) -> None:
        detail = "; ".join(f"{field}: {msg}" for field, msg in problems)
        super().__init__(f"{event_type}: {detail}")
        self.problems = problems


class Rejected(PoisonMessage):
    """The event is well-formed but cannot be applied here (wrong region, unknown issue…)."""

    reason = "rejected"
