"""What the regions send upstream, applied to the national queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import update

from national_council.adapters import repository as repo
from national_council.adapters.tables import (
    acknowledgements,
    amendments,
    consultation_responses,
    information_requests,
    issue_areas,
    issues,
    transitions,
)
from national_council.domain.model import LIFECYCLE, NationalState, Priority, ServiceLevels
from national_council.service_layer.transitions import move
from samverkan_shared.contracts import (
    AssessmentAcknowledged,
    ConsultationResponded,
    EscalationAmended,
    EscalationReceived,
    EscalationWithdrawn,
    Event,
    InformationProvided,
    IssueEscalated,
)
from samverkan_shared.db import insert_ignore
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_of_source
from samverkan_shared.errors import Rejected
from samverkan_shared.ids import new_id
from samverkan_shared.statemachine import NotFound
from samverkan_shared.topics import downstream, region_of_topic
from samverkan_shared.uow import UnitOfWork

__all__ = ["UpstreamHandler"]


@dataclass
class _Batch:
    """Escalations of one unit of work: deferred so far, and known to the queue before it."""

    escalated: set[tuple[str, str]] = field(default_factory=set)
    known: dict[tuple[str, str], str | None] = field(default_factory=dict)


class UpstreamHandler:
    """Applies one upstream event; provenance is the topic, and the source must agree."""

    def __init__(self, levels: ServiceLevels) -> None:
        self.levels = levels

    async def __call__(self, uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        region = region_of_topic(topic)
        claimed = getattr(event, "region", None)
        if region_of_source(env.source) != region or claimed != region:
            raise Rejected(
                f"{topic} carries only {region!r}; got source {env.source!r}, region {claimed!r}"
            )
        # NotFound and IllegalTransition propagate: the consumer dead-letters them as rejected.
        await self._dispatch(uow, env, event, region)

    async def _dispatch(self, uow: UnitOfWork, env: Envelope, event: Event, region: str) -> None:
        actor = f"region:{region}"
        if not isinstance(event, IssueEscalated):
            await uow.write_deferred()  # it may concern an issue escalated earlier in this batch
        match event:
            case IssueEscalated():
                await self._escalated(uow, env, event)
            case InformationProvided():
                await self._provided(uow, event, actor)
            case EscalationAmended():
                issue = await repo.issue_by_regional_id(uow.conn, region, str(event.issue_id))
                await uow.conn.execute(
                    amendments.insert().values(
                        issue_id=issue["id"], amendment=event.amendment, amended_at=event.amended_at
                    )
                )
            case EscalationWithdrawn():
                issue = await repo.issue_by_regional_id(uow.conn, region, str(event.issue_id))
                await move(
                    uow,
                    issue,
                    NationalState.WITHDRAWN,
                    actor,
                    event.reason,
                    resolution=event.reason,
                )
            case AssessmentAcknowledged():
                await uow.conn.execute(
                    insert_ignore(
                        uow.conn,
                        acknowledgements,
                        assessment_id=str(event.assessment_id),
                        version=event.assessment_version,
                        region=region,
                        acknowledged_at=event.acknowledged_at,
                    )
                )
            case ConsultationResponded():
                await uow.conn.execute(
                    insert_ignore(
                        uow.conn,
                        consultation_responses,
                        consultation_id=str(event.consultation_id),
                        region=region,
                        views=event.views,
                        responded_at=event.responded_at,
                    )
                )
            case _:
                raise Rejected(f"{event.event_type()} is not an upstream event")

    async def _escalated(self, uow: UnitOfWork, env: Envelope, event: IssueEscalated) -> None:
        """A new issue in the queue, and the receipt to the region.

        Its rows are deferred to the unit of work's flush, so a batch of escalations is a few
        INSERTs in all; the issues escalated in this transaction are remembered meanwhile.
        """
        key = (event.region, str(event.issue_id))
        batch = _batch_of(uow)
        if key in batch.escalated:
            raise Rejected(f"issue {event.issue_id} is already in the queue")
        if key in batch.known:
            state = batch.known[key]
        else:
            try:
                known = await repo.issue_by_regional_id(uow.conn, *key)
                state = known["state"]
            except NotFound:
                state = None
        if state is not None and not LIFECYCLE.is_final(NationalState(state)):
            raise Rejected(f"issue {event.issue_id} is already in the queue")
        batch.escalated.add(key)
        reference = new_id()
        at = repo.now()
        ack_by, answer_by = self.levels.targets(at, event.urgency)
        codes = list(dict.fromkeys(event.areas))
        uow.defer(
            issues,
            {
                "id": reference,
                "region": event.region,
                "regional_issue_id": str(event.issue_id),
                "title": event.title,
                "summary": event.summary,
                "areas": codes,
                "reason_not_regional": event.reason_not_regional,
                "measures_tried": event.measures_tried,
                "urgency": event.urgency.value,
                "affected_actor_types": list(event.affected_actor_types),
                "requested_outcome": event.requested_outcome,
                "state": NationalState.RECEIVED.value,
                "received_at": at,
                "acknowledge_by": ack_by,
                "answer_by": answer_by,
                "updated_at": at,
                "correlation_id": env.correlationid,
                "priority": Priority(event.urgency.value).rank,
            },
        )
        for code in codes:
            uow.defer(issue_areas, {"issue_id": reference, "area": code})
        uow.defer(transitions, repo.received_row(reference, f"region:{event.region}", at))
        reply = EscalationReceived(
            issue_id=event.issue_id,
            region=event.region,
            national_reference=UUID(reference),
            received_at=at,
            acknowledge_by=ack_by,
            answer_by=answer_by,
        )
        out = Envelope.wrap(
            reply, NATIONAL_SOURCE, correlation_id=env.correlationid, causation_id=env.id
        )
        uow.emit(downstream(event.region), out)

    async def prepare(self, uow: UnitOfWork, items: list[tuple[Envelope, Event, str]]) -> None:
        """Before a batch: which of its escalated issues the queue knows, in one query.

        Read at the start of the transaction; an event of the batch that changes an issue's
        state makes this stale only towards refusing, and a refusal retries the batch one
        event at a time.
        """
        batch = _batch_of(uow)
        keys = {(e.region, str(e.issue_id)) for _, e, _ in items if isinstance(e, IssueEscalated)}
        batch.known = {key: None for key in keys}
        batch.known.update(await repo.latest_states(uow.conn, keys))

    async def _provided(self, uow: UnitOfWork, event: InformationProvided, actor: str) -> None:
        issue = await repo.issue_by_regional_id(uow.conn, event.region, str(event.issue_id))
        result = await uow.conn.execute(
            update(information_requests)
            .where(
                information_requests.c.id == str(event.request_id),
                information_requests.c.issue_id == issue["id"],
            )
            .values(answer=event.answer, answered_at=event.provided_at)
        )
        if result.rowcount == 0:
            raise NotFound(f"information request {event.request_id} not found")
        pending = await repo.open_request_count(uow.conn, issue["id"])
        if pending == 0 and issue["state"] == NationalState.AWAITING_REGION:
            await move(
                uow, issue, NationalState.IN_ASSESSMENT, actor, "region provided information"
            )


def _batch_of(uow: UnitOfWork) -> _Batch:
    """What this unit of work has seen of escalations so far (kept in its memo)."""
    batch: _Batch = uow.memo.setdefault("escalations", _Batch())
    return batch
