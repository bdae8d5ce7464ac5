"""The Kafka intake: a regional system's escalation becomes an issue, escalated at once.

The event id is the idempotency key: the consumer's inbox records (source, id) in the same
transaction as the issue and its outbox row, so a re-sent message makes no second issue.
A refused message goes to the intake's dead letter, and its sender hears why on the errors
topic.
"""

from __future__ import annotations

from datetime import UTC, datetime

from regional_council.service_layer.commands import Escalation, NewIssue, RegionalCommands
from samverkan_shared.consumer import IncomingRecord
from samverkan_shared.contracts import Event, IntakeEscalation, IntakeRejected
from samverkan_shared.envelope import Envelope, from_kafka, region_source, to_kafka
from samverkan_shared.errors import PoisonMessage, Rejected
from samverkan_shared.relay import RecordSink
from samverkan_shared.statemachine import InvalidInput
from samverkan_shared.topics import intake_errors
from samverkan_shared.uow import UnitOfWork

__all__ = ["IntakeHandler", "RejectionNotice"]


class IntakeHandler:
    """Applies one intake message of this region."""

    def __init__(self, commands: RegionalCommands) -> None:
        self.commands = commands
        self.region = commands.region

    async def __call__(self, uow: UnitOfWork, env: Envelope, event: Event, topic: str) -> None:
        if not isinstance(event, IntakeEscalation):
            raise Rejected(f"ce_type: {event.event_type()} is not accepted on {topic}")
        if event.region is not None and event.region != self.region:
            raise Rejected(f"region: this intake serves {self.region!r}, not {event.region!r}")
        new = NewIssue(event.title, event.summary, list(event.areas), event.external_reference)
        esc = Escalation(
            reason_not_regional=event.reason_not_regional,
            requested_outcome=event.requested_outcome,
            measures_tried=event.measures_tried,
            urgency=event.urgency,
            affected_actor_types=tuple(event.affected_actor_types),
        )
        try:
            await self.commands.escalate_in(uow, new, esc)
        except InvalidInput as exc:  # an area outside the vocabulary: tell the sender why
            raise Rejected(str(exc)) from exc


def _event_id(record: IncomingRecord) -> str | None:
    """The refused message's ce_id, from its headers or its structured JSON, if it has one."""
    try:
        return from_kafka(record.key, record.value, list(record.headers or ())).id
    except PoisonMessage:
        return None


class RejectionNotice:
    """Publishes an ``intake.rejected`` event for the sender of a refused message."""

    def __init__(self, region: str, sink: RecordSink) -> None:
        self.region = region
        self.sink = sink

    async def __call__(self, record: IncomingRecord, exc: PoisonMessage) -> None:
        """Tell the sender: which message (its ce_id), why, and where it was parked."""
        notice = IntakeRejected(
            rejected_event_id=_event_id(record),
            reason=exc.reason,
            error=str(exc)[:4000],
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            rejected_at=datetime.now(UTC),
        )
        env = Envelope.wrap(notice, region_source(self.region))
        await self.sink.send(intake_errors(self.region), to_kafka(env))
