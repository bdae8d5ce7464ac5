"""Fakes that implement the real ports, for tests without a broker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import func, select

from samverkan_shared.contracts import IssueEscalated
from samverkan_shared.envelope import Envelope, KafkaRecord, region_source
from samverkan_shared.uow import Storage

__all__ = ["FakeRecord", "ListSink", "effects_count", "escalation"]


def escalation() -> Envelope:
    """A valid, unnumbered, unsigned escalation of norra (a new issue each time)."""
    event = IssueEscalated(
        issue_id=uuid4(),
        region="norra",
        title="t",
        summary="s",
        areas=["clinical-placement"],
        reason_not_regional="r",
        requested_outcome="o",
        escalated_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, region_source("norra"))


@dataclass
class ListSink:
    """A RecordSink that keeps what it was sent; can be told to fail the next n sends."""

    sent: list[tuple[str, KafkaRecord]] = field(default_factory=list)
    fail_next: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, topic: str, record: KafkaRecord) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("broker unavailable")
        self.sent.append((topic, record))
        self.arrived.set()

    async def send_all(self, records: Sequence[tuple[str, KafkaRecord]]) -> int:
        done = 0
        for topic, record in records:
            try:
                await self.send(topic, record)
            except ConnectionError:
                break
            done += 1
        return done


@dataclass
class FakeRecord:
    """The fields of aiokafka's ConsumerRecord that the consumer reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


async def effects_count(storage: Storage) -> int:
    """Rows in the ``effects`` table the test handlers fill (``conftest.storage``)."""
    async with storage.engine.connect() as conn:
        table = storage.metadata.tables["effects"]
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
