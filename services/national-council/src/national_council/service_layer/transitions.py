"""A state change of an issue together with the downstream events the region needs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from national_council.adapters import repository as repo
from national_council.domain.model import NationalState
from samverkan_shared.contracts import Event, IssueProgressed
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope
from samverkan_shared.topics import downstream
from samverkan_shared.uow import UnitOfWork

__all__ = ["emit_to", "issue_ref", "move"]

# Steps that no other event tells the region about; the rest have their own event
# (information.requested, assessment.published, escalation.declined, issue.closed).
_PROGRESS = frozenset({NationalState.TRIAGED, NationalState.IN_ASSESSMENT})


async def emit_to(
    uow: UnitOfWork,
    region: str,
    event: Event,
    correlation_id: str | None,
    fanout: str | None = None,
) -> None:
    """Put one downstream event for a region in the outbox."""
    env = Envelope.wrap(event, NATIONAL_SOURCE, correlation_id=correlation_id, fanout_id=fanout)
    uow.emit(downstream(region), env)


def issue_ref(issue: dict[str, Any]) -> dict[str, Any]:
    """The fields every issue event carries: the region's id, the region, our reference."""
    return {
        "issue_id": UUID(issue["regional_issue_id"]),
        "region": issue["region"],
        "national_reference": UUID(issue["id"]),
    }


async def move(
    uow: UnitOfWork,
    issue: dict[str, Any],
    target: NationalState,
    actor: str,
    reason: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Advance the issue (audited), telling the region of each step it would not hear of."""
    moved, steps = await repo.advance(uow.conn, issue, target, actor, reason, **fields)
    for old, new in steps:
        if new in _PROGRESS:
            event = IssueProgressed(
                **issue_ref(issue),
                from_state=old.value,
                to_state=new.value,
                reason=reason or "",
                progressed_at=moved["updated_at"],
            )
            await emit_to(uow, issue["region"], event, issue["correlation_id"])
    return moved
