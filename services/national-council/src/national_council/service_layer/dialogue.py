"""What the regions send upstream, applied to the national queue."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import update

from national_council.adapters import repository as repo
from national_council.adapters.tables import (
    acknowledgements,
    amendments,
    consultation_responses,
    information_requests,
    issues,
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
from samverkan_shared.statemachine import NotFound
from samverkan_shared.topics import downstream, region_of_topic
from samverkan_shared.uow import UnitOfWork

__all__ = ["UpstreamHandler"]


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
        try:
            known = await repo.issue_by_regional_id(uow.conn, event.region, str(event.issue_id))
        except NotFound:
            known = None
        if known is not None and not LIFECYCLE.is_final(NationalState(known["state"])):
            raise Rejected(f"issue {event.issue_id} is already in the queue as {known['id']}")
        reference = uuid4()
        at = repo.now()
        ack_by, answer_by = self.levels.targets(at, event.urgency)
        await uow.conn.execute(
            issues.insert().values(
                id=str(reference),
                region=event.region,
                regional_issue_id=str(event.issue_id),
                title=event.title,
                summary=event.summary,
                areas=list(event.areas),
                reason_not_regional=event.reason_not_regional,
                measures_tried=event.measures_tried,
                urgency=event.urgency.value,
                affected_actor_types=list(event.affected_actor_types),
                requested_outcome=event.requested_outcome,
                state=NationalState.RECEIVED.value,
                received_at=at,
                acknowledge_by=ack_by,
                answer_by=answer_by,
                updated_at=at,
                correlation_id=env.correlationid,
                priority=Priority(event.urgency.value).rank,
            )
        )
        await repo.set_areas(uow.conn, str(reference), event.areas)
        await repo.record_received(uow.conn, str(reference), f"region:{event.region}")
        reply = EscalationReceived(
            issue_id=event.issue_id,
            region=event.region,
            national_reference=reference,
            received_at=at,
            acknowledge_by=ack_by,
            answer_by=answer_by,
        )
        out = Envelope.wrap(
            reply, NATIONAL_SOURCE, correlation_id=env.correlationid, causation_id=env.id
        )
        await uow.emit(downstream(event.region), out)

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
