"""Gap recovery: sources announce their stream heads; a consumer behind them asks for a re-send.

ARCHITECTURE. Tansu keeps its log in memory, so a broker restart loses every record and every
committed offset; Apache Kafka can lose the tail of a partition in an unclean leader election.
The outbox keeps every event a service ever emitted, numbered per (source, topic), so the
source can always send them again:

- Every source announces, every ``HEADS_EVERY`` seconds on the control topic, per topic the
  sequence up to which it has *published* every event (``heads``).
- Every service watches its consumers (``GapWatcher``). A stream is *behind* when events are
  held behind a gap, or when the source's head is above the consumer's progress. A stream
  that is behind is not yet lost: the consumer may simply be busy. Only when the consumer has
  read everything the broker holds for that topic (position = end offset on every
  assigned partition) is the missing event known to be gone, and the watcher publishes
  ``resend`` (source, topic, from = progress + 1), at most once per ``RESEND_AFTER`` seconds
  per stream.
- The source marks its outbox rows of that topic from that sequence as unsent; its relay
  publishes them again. Copies the consumer already had are absorbed by the ordering rule and
  the inbox (``samverkan_shared.sequence``), so a re-send can be generous.

``samverkan replay --from`` sends the same request by hand; the source answers ``resent``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from faststream import AckPolicy
from faststream.kafka import TopicPartition
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from samverkan_shared.broker_loss import log_ends, rejoin_if_stuck, rewind_if_lost
from samverkan_shared.envelope import KafkaRecord
from samverkan_shared.ids import new_id
from samverkan_shared.kafka import Fetched, raw_records
from samverkan_shared.logs import get_logger
from samverkan_shared.sequence import Stream, gaps, progress_of
from samverkan_shared.topics import CONTROL_PARTITIONS, control

if TYPE_CHECKING:
    from samverkan_shared.runtime import Runtime

__all__ = [
    "HEADS_EVERY",
    "RESEND_AFTER",
    "ControlMessage",
    "GapWatcher",
    "control_record",
    "install_recovery",
]

log = get_logger(__name__)

HEADS_EVERY = 2.0
CHECK_EVERY = 1.0
RESEND_AFTER = 5.0
CHECK_TIMEOUT = 15.0
STALLED_AFTER = 3.0
"""Seconds a stream that is behind must make no progress before its source is asked."""
STUCK_AFTER = 20.0
"""Seconds a consumer may hold no partition before its group is asked whether it is stuck:
longer than a join (about 3 s on Tansu) or a restarted member's return (up to about 18 s)."""


class ControlMessage(BaseModel):
    """One message on the control topic (JSON; services only, not a dialogue event)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["heads", "resend", "resent"]
    source: str
    topic: str | None = None
    heads: dict[str, int] = Field(default_factory=dict)
    from_sequence: int | None = Field(None, ge=1)
    to_sequence: int | None = Field(None, ge=1)
    requested_by: str = ""
    request_id: str = Field(default_factory=lambda: new_id())
    count: int = 0
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def control_record(message: ControlMessage) -> KafkaRecord:
    """The Kafka record of a control message, keyed by its source."""
    return KafkaRecord(message.source.encode(), message.model_dump_json().encode(), [])


class GapWatcher:
    """Asks sources to re-send what the broker lost, once the consumer has read all there is."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.heads: dict[tuple[str, str], int] = {}
        self.asked: dict[Stream, float] = {}
        self.empty_since: dict[str, float] = {}
        self.progress_seen: dict[Stream, tuple[int, float]] = {}
        self.requests = 0

    def observe(self, message: ControlMessage) -> None:
        """Remember a source's announced heads."""
        for topic, head in message.heads.items():
            self.heads[(message.source, topic)] = head

    async def run(self) -> None:
        """Check every ``CHECK_EVERY`` seconds, forever; failures are logged and retried."""
        while True:
            await asyncio.sleep(CHECK_EVERY)
            # A call that never returns, not even when cancelled, must not end the watching:
            # a round that overruns is abandoned, not awaited.
            round_ = asyncio.create_task(self.check())
            done, _ = await asyncio.wait({round_}, timeout=CHECK_TIMEOUT)
            if not done:
                round_.cancel()
                log.warning("gap check overran, abandoned", seconds=CHECK_TIMEOUT)
            elif exc := round_.exception():  # database or broker away: the next round tries
                log.warning("gap check failed", error=repr(exc))

    async def check(self) -> None:
        """One round over every consumer of this service."""
        for subscriber in self.runtime.broker.subscribers:  # the control topic's too
            kafka = getattr(subscriber, "consumer", None)
            if kafka is not None:
                await rewind_if_lost(kafka)
        for consumer, subscriber in self.runtime.consumers:
            kafka = getattr(subscriber, "consumer", None)
            if kafka is None:
                continue
            await self._unstick(consumer.name, kafka)
            topics = set(kafka.subscription())
            for stream, applied in await self._behind(consumer.name, topics):
                if self._stalled(stream, applied) and await _caught_up(kafka, stream.topic):
                    await self._ask(stream, applied + 1)

    def _stalled(self, stream: Stream, applied: int) -> bool:
        """Whether the stream's progress has not moved for ``STALLED_AFTER`` seconds.

        A consumer that is behind but moving (a busy network: the batch that closes the gap
        is being applied) is not asked about: a re-send would only add load (measured: under
        the latency benchmark, re-sends of hundreds of rows that the consumer already had).
        """
        now = time.monotonic()
        seen, since = self.progress_seen.get(stream, (-1, now))
        if seen != applied:
            self.progress_seen[stream] = (applied, now)
            return False
        return now - since >= STALLED_AFTER

    async def _unstick(self, name: str, kafka: Any) -> None:
        """Re-join a group that has held nothing for ``STUCK_AFTER`` (``broker_loss`` item 4)."""
        if kafka.assignment():
            self.empty_since.pop(name, None)
            return
        since = self.empty_since.setdefault(name, time.monotonic())
        if time.monotonic() - since >= STUCK_AFTER and await rejoin_if_stuck(kafka):
            self.empty_since[name] = time.monotonic()

    async def _behind(self, consumer: str, topics: set[str]) -> list[tuple[Stream, int]]:
        storage = self.runtime.storage
        out: dict[Stream, int] = {}
        async with storage.engine.connect() as conn:
            for gap in await gaps(conn, storage.progress, storage.held, consumer):
                out[gap.stream] = gap.applied
            for (source, topic), head in self.heads.items():
                stream = Stream(consumer, source, topic)
                if topic in topics and stream not in out:
                    applied = await progress_of(conn, storage.progress, stream)
                    if head > applied:
                        out[stream] = applied
        return list(out.items())

    async def _ask(self, stream: Stream, start: int) -> None:
        now = time.monotonic()
        if now - self.asked.get(stream, 0.0) < RESEND_AFTER:
            return
        self.asked[stream] = now
        request = ControlMessage(
            kind="resend",
            source=stream.source,
            topic=stream.topic,
            from_sequence=start,
            requested_by=stream.consumer,
        )
        await self.runtime.sink.send(control(), control_record(request))
        self.requests += 1
        log.warning(
            "gap: asked the source to re-send",
            source=stream.source,
            topic=stream.topic,
            from_sequence=start,
            consumer=stream.consumer,
        )


async def _caught_up(kafka: Any, topic: str) -> bool:
    """Whether the consumer has read exactly everything the broker holds for the topic.

    Its own position, not the committed offset: asking the coordinator can wait for ever
    while a group re-forms on a broker that lost it (measured on Tansu), and the position is
    at most the record in hand ahead of the commit (an early re-send is absorbed). A position
    *past* the end belongs to a lost log: not caught up (``samverkan_shared.broker_loss``).
    """
    parts = [tp for tp in kafka.assignment() if tp.topic == topic]
    if not parts:
        return False
    ends = await log_ends(kafka, parts)
    for tp in parts:
        if await asyncio.wait_for(kafka.position(tp), 5.0) != ends[tp]:
            return False
    return True


class Responder:
    """The source side: announces heads and answers re-send requests from its outbox."""

    def __init__(self, runtime: Runtime, watcher: GapWatcher) -> None:
        self.runtime = runtime
        self.watcher = watcher

    async def handle(self, raw: bytes) -> None:
        """Apply one control message (an unreadable one is logged and skipped)."""
        try:
            message = ControlMessage.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("control message ignored", error=str(exc)[:500])
            return
        if message.kind == "heads":
            self.watcher.observe(message)
        elif message.kind == "resend" and message.topic and message.from_sequence:
            await self._resend(message)

    async def _resend(self, request: ControlMessage) -> None:
        relay = self.runtime.relay
        source = await relay.own_source()
        if source != request.source or request.topic is None or request.from_sequence is None:
            return  # another service's stream
        count = await relay.resend(request.topic, request.from_sequence, request.to_sequence)
        log.warning(
            "re-sending from the outbox",
            topic=request.topic,
            from_sequence=request.from_sequence,
            to_sequence=request.to_sequence,
            rows=count,
            requested_by=request.requested_by,
        )
        reply = request.model_copy(
            update={"kind": "resent", "count": count, "at": datetime.now(UTC)}
        )
        await self.runtime.sink.send(control(), control_record(reply))

    async def announce(self) -> None:
        """Publish this source's heads every ``HEADS_EVERY`` seconds, forever."""
        while True:
            await asyncio.sleep(HEADS_EVERY)
            try:
                source, heads = await self.runtime.relay.heads()
                if source and heads:
                    message = ControlMessage(kind="heads", source=source, heads=heads)
                    await self.runtime.sink.send(control(), control_record(message))
            except Exception as exc:  # database or broker away: announce next time
                log.warning("announcing heads failed", error=repr(exc))


def install_recovery(runtime: Runtime) -> GapWatcher:
    """Subscribe the service to the control topic and start its watcher and announcer."""
    watcher = GapWatcher(runtime)
    responder = Responder(runtime, watcher)
    # Every process reads every control message: its partitions are assigned, not shared out
    # by a consumer group. So no group has to re-form after a broker lost its log (a group on
    # Tansu 0.6 could keep an empty assignment then, and its service never heard a re-send
    # request); the gap watcher rewinds the position if the log was lost. Nothing is
    # committed: heads repeat and a lasting gap is asked for again, so no history is needed.
    subscriber = runtime.broker.subscriber(
        partitions=[TopicPartition(control(), p) for p in range(CONTROL_PARTITIONS)],
        decoder=raw_records,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="latest",
    )

    @subscriber
    async def on_control(body: Any) -> None:  # Any: FastStream would validate a named type
        fetched: Fetched = body  # raw_records
        await responder.handle(fetched.records.value or b"")

    runtime.workers.extend([watcher.run, responder.announce])
    return watcher
