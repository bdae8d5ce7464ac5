"""Idempotent consumption: decode, validate, apply with the inbox in one transaction, then commit.

The offset is committed only after the database transaction commits. A batch of records is
applied in one transaction when every record in it is plain (decodes, verifies, is no
operator replay); the ordering rule is planned for the batch (``samverkan_shared.batching``);
anything else, or a batch the domain refuses, takes the one-record path below. Events of the
dialogue topics are applied in their source's sequence order (``samverkan_shared.sequence``):
one that arrives ahead of a gap is held, never applied early. A message that can
never succeed goes to the dead-letter topic with its reason and is committed, so it does
not block its partition. A transient failure (database down) is retried with backoff
without committing, so nothing is lost and later messages of the partition wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from sqlalchemy.exc import DataError, IntegrityError

from samverkan_shared.batching import Decoded, plan_batch
from samverkan_shared.contracts import Event
from samverkan_shared.db import insert_ignore_many
from samverkan_shared.drain import retry_until_done
from samverkan_shared.envelope import Envelope, KafkaRecord, decode_event, from_kafka
from samverkan_shared.errors import PoisonMessage, Rejected
from samverkan_shared.inbox import inbox_row, record_batch, record_in_inbox
from samverkan_shared.logs import get_logger
from samverkan_shared.metrics import CONSUMED, HANDLER_SECONDS, RETRIES
from samverkan_shared.relay import RecordSink
from samverkan_shared.sequence import (
    REPLAY_HEADER,
    HeldRecord,
    Position,
    Stream,
    advance,
    classify,
    held_between,
    held_row,
    held_sequences,
    hold,
    is_sequenced,
    positions_of_consumer,
    progress_of,
    take_held,
)
from samverkan_shared.sigcheck import Verifier
from samverkan_shared.signing import Claim
from samverkan_shared.statemachine import Conflict, NotFound
from samverkan_shared.topics import dead_letter
from samverkan_shared.tracing import consumer_span, tracing_off  # tracing (issue 7)
from samverkan_shared.uow import Storage, UnitOfWork

__all__ = ["DeadLetterHook", "EventConsumer", "Handler", "IncomingRecord", "Outcome"]

log = get_logger(__name__)

DECODE_SLICE = 32
"""Records decoded between two turns of the event loop (about 2.5 ms of work)."""

HELD_PER_BATCH = 1_000
"""Held events of one stream a batch reads back, at most (the rest follow one by one)."""


class IncomingRecord(Protocol):
    """The parts of a Kafka consumer record we read (aiokafka's ConsumerRecord has them)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any


Handler = Callable[[UnitOfWork, Envelope, Event, str], Awaitable[None]]
"""(uow, envelope, event, topic) → apply the effect; raise Rejected for a poison event.

A handler may also have ``async prepare(uow, [(envelope, event, topic), …])``, called once
before a batch's events, to read ahead for all of them (the national queue does).
"""
DeadLetterHook = Callable[[IncomingRecord, PoisonMessage], Awaitable[None]]
"""Told after a record was dead-lettered (to tell its sender why, say)."""


@dataclass
class Outcome:
    """Counts, for metrics and tests."""

    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retries: int = 0
    held: int = 0
    released: int = 0


class EventConsumer:
    """Applies records through a handler with exactly-once effect."""

    def __init__(
        self,
        name: str,
        storage: Storage,
        handler: Handler,
        dead_letters: RecordSink,
        *,
        verify: Callable[[Envelope], None] | None = None,
        on_dead_letter: DeadLetterHook | None = None,
        max_backoff: float = 10.0,
    ) -> None:
        self.name = name
        self.storage = storage
        self.handler = handler
        self.dead_letters = dead_letters
        self.verify = verify
        self.on_dead_letter = on_dead_letter
        self.max_backoff = max_backoff
        self.outcome = Outcome()

    async def process_batch(self, records: Sequence[IncomingRecord]) -> None:
        """Apply a batch in one transaction where it can; returns when every record is done."""
        await self.apply_decoded(records, await self.decode_batch(records))

    async def decode_batch(
        self, records: Sequence[IncomingRecord], *, behind: int = 0
    ) -> list[Decoded | None]:
        """Decode and verify every record (None: it needs the one-record path).

        ``behind``: records waiting in the partitions' logs beyond this batch (a backlog's
        signatures may be checked in a helper process: ``samverkan_shared.sigcheck``).

        This is the batch's CPU before its transaction, and it reads no database, so the
        subscriber runs it while the previous batch's transaction waits on PostgreSQL
        (``samverkan_shared.pipeline``). It lets the event loop run every ``DECODE_SLICE``
        records: otherwise that transaction would wait for the whole batch's checks each
        time PostgreSQL answered it.
        """
        # A Verifier checks the batch's signatures together after decoding, in its helper
        # process when the consumer is far behind (samverkan_shared.sigcheck); a plain
        # function checks each record inline as it is decoded.
        verifier = self.verify if isinstance(self.verify, Verifier) else None
        decoded: list[Decoded | None] = []
        claims: list[Claim] = []
        claimed: list[int] = []
        for start in range(0, len(records), DECODE_SLICE):
            if start:
                await asyncio.sleep(0)
            for record in records[start : start + DECODE_SLICE]:
                item = self._decoded(record, check=verifier is None)
                if item is not None and verifier is not None:
                    try:
                        claims.append(verifier.claim(item.envelope))
                        claimed.append(len(decoded))
                    except PoisonMessage:
                        item = None
                decoded.append(item)
        if verifier is not None and claims:
            verdicts = await verifier.matching(claims, behind=behind)
            for i, ok in zip(claimed, verdicts, strict=True):
                if not ok:
                    decoded[i] = None
        return decoded

    async def apply_decoded(
        self, records: Sequence[IncomingRecord], decoded: Sequence[Decoded | None]
    ) -> None:
        """Apply decoded records (``decode_batch``); returns when every record is done."""
        plain = [d for d in decoded if d is not None]
        # A poison, forged or replayed record: each its own way (the one-record path
        # dead-letters it and says why).
        if len(plain) < len(records):
            for record in records:
                await self.process(record)
            return
        done = await retry_until_done(
            lambda: self._apply_batch(plain),
            f"applying a batch of {len(plain)} ({self.name})",
            cap=self.max_backoff,
        )
        if done is None:  # the domain refused one of them: find it, one record at a time
            for record in records:
                await self.process(record)
            return
        for stream, applied in done.items():  # more held than one batch reads back (rare)
            await self._release(stream, applied + 1)

    def _decoded(
        self, record: IncomingRecord, *, held: bool = False, check: bool = True
    ) -> Decoded | None:
        """The record ready to apply, or None if it needs the one-record path.

        A held record was authenticated before it was held, so it is not verified again;
        ``check=False`` leaves the signature to the caller.
        """
        headers = list(record.headers or ())
        if any(key == REPLAY_HEADER for key, _ in headers):
            return None
        try:
            env = from_kafka(record.key, record.value, headers)
            event = decode_event(env)
            if self.verify is not None and check and not held:
                self.verify(env)
        except PoisonMessage:
            return None
        sequenced = env.sequence is not None and is_sequenced(record.topic)
        stream = Stream(self.name, env.source, record.topic) if sequenced else None
        return Decoded(record, env, event, stream, held)

    async def _apply_batch(self, items: list[Decoded]) -> dict[Stream, int] | None:
        """One transaction: inbox rows, progress, every effect and what must be held.

        Events held earlier join in and are applied if the batch closes their gap. Returns
        the new progress of the streams that may hold more than one batch reads back; None
        (rolled back) if the domain refused one of the events.
        """
        began = time.perf_counter()
        async with self.storage.unit_of_work() as uow:
            s = self.storage
            streams = {item.stream for item in items if item.stream is not None}
            # One query for the whole batch, however many sources it heard from.
            known, holding = (
                await positions_of_consumer(uow.conn, s.progress, s.held, self.name)
                if streams
                else ({}, set())
            )
            before = {stream: known.get(stream, 0) for stream in streams}
            waiting, capped = await self._held_in(uow, before, items, holding)
            plan = plan_batch(items + waiting, before)
            # One moment for the whole transaction: its effects become visible together, and
            # within it each stream was applied in sequence order.
            moment = datetime.now(UTC)
            rows = [
                inbox_row(i.envelope, i.record.topic, i.record.partition, i.record.offset, moment)
                for i in plan.apply
            ]
            new = await record_batch(
                uow.conn, s.inbox, s.progress, s.held, rows, plan.progress, before, holding, moment
            )
            await insert_ignore_many(uow.conn, s.held, [self._held_row(i) for i in plan.hold])
            applied_now = 0
            untraced = tracing_off()
            timer = HANDLER_SECONDS.labels(self.name)
            try:
                prepare = getattr(self.handler, "prepare", None)
                if prepare is not None:  # one look at the whole batch (a handler may read ahead)
                    await prepare(uow, [(i.envelope, i.event, i.record.topic) for i in plan.apply])
                for item in plan.apply:
                    if (item.envelope.source, item.envelope.id) not in new:
                        continue
                    new.discard((item.envelope.source, item.envelope.id))  # twice in one batch
                    # Log lines name the event being applied. Bound and reset by token, not
                    # with bound_contextvars, which copies the whole context to save what it
                    # overwrites: 3.4 % of a loaded national council's samples, per event.
                    tokens = structlog.contextvars.bind_contextvars(
                        event_id=item.envelope.id, event_type=item.envelope.type
                    )
                    try:
                        with self._span(item.record, item.envelope, off=untraced), timer.time():
                            await self.handler(uow, item.envelope, item.event, item.record.topic)
                    finally:
                        structlog.contextvars.reset_contextvars(**tokens)
                    applied_now += 1
                await uow.flush()  # deferred rows and events: a refusal here is a refusal too
            except (PoisonMessage, NotFound, Conflict, IntegrityError, DataError):
                return None  # rolled back; the one-record path dead-letters the culprit
            await uow.commit()
        released = sum(1 for i in plan.apply if i.held)
        duplicates = plan.duplicates + len(plan.apply) - applied_now
        self.outcome.applied += applied_now
        self.outcome.duplicates += duplicates
        self.outcome.held += len(plan.hold)
        self.outcome.released += released
        for outcome, count in (
            ("applied", applied_now),
            ("duplicate", duplicates),
            ("held", len(plan.hold)),
        ):
            CONSUMED.labels(self.name, outcome).inc(count)
        log.info(
            "batch applied",
            consumer=self.name,
            applied=applied_now,
            duplicates=duplicates,
            held=len(plan.hold),
            released=released,
            took_ms=round((time.perf_counter() - began) * 1000, 1),
        )
        return {stream: n for stream, n in plan.progress.items() if stream in capped}

    async def _held_in(
        self,
        uow: UnitOfWork,
        progress: dict[Stream, int],
        items: list[Decoded],
        holding: set[Stream],
    ) -> tuple[list[Decoded], set[Stream]]:
        """The held events this batch makes next in line (only those are read and decoded),
        and the streams with more held than were looked at."""
        out: list[Decoded] = []
        capped: set[Stream] = set()
        for stream, applied in progress.items():
            if stream not in holding:
                continue
            held = self.storage.held
            waiting = set(await held_sequences(uow.conn, held, stream, applied, HELD_PER_BATCH))
            if len(waiting) == HELD_PER_BATCH:
                capped.add(stream)
            if not waiting:
                continue
            arrived = {i.sequence for i in items if i.stream == stream}
            last = applied
            while last + 1 in arrived or last + 1 in waiting:
                last += 1
            needed = [n for n in range(applied + 1, last + 1) if n in waiting and n not in arrived]
            if not needed:
                continue
            for record in await held_between(uow.conn, held, stream, needed[0], needed[-1]):
                item = self._decoded(record, held=True)
                if item is not None and item.sequence not in arrived:
                    out.append(item)
        return out, capped

    @staticmethod
    def _held_row(item: Decoded) -> dict[str, Any]:
        r = item.record
        copy = HeldRecord(
            r.topic, r.partition, r.offset, r.key, r.value, list(r.headers or ()), item.sequence
        )
        assert item.stream is not None  # only a sequenced event is ever held
        return held_row(item.stream, item.sequence, item.envelope.id, copy)

    async def process(self, record: IncomingRecord) -> None:
        """Apply one record; returns when it is applied, held, a duplicate, or dead-lettered."""
        headers = list(record.headers or ())
        try:
            env = from_kafka(record.key, record.value, headers)
        except PoisonMessage as exc:
            await self._dead_letter(record, headers, exc)
            return
        # Every log line while this event is applied names it and what it is about.
        with (
            structlog.contextvars.bound_contextvars(
                event_id=env.id,
                event_type=env.type,
                subject=env.subject,
                correlation_id=env.correlationid,
            ),
            self._span(record, env),  # tracing (issue 7): child of the emitting span
        ):
            if env.sequence is not None and is_sequenced(record.topic) and self._authentic(env):
                await self._in_order(record, headers, env, env.sequence)
            else:
                await self._finish(record, headers, env, None)

    def _authentic(self, env: Envelope) -> bool:
        """Only an event its source really sent may move that source's stream.

        A forged sequence number must never make us skip (and so lose) the real event.
        """
        if self.verify is None:
            return True
        try:
            self.verify(env)
        except PoisonMessage:
            return False
        return True

    def _span(self, record: IncomingRecord, env: Envelope, *, off: bool | None = None) -> Any:
        """The consumer span of one event, continuing the trace it was emitted in (issue 7).

        None when no span would be recorded and there is no trace to continue: extracting an
        empty context and opening a no-op span cost ~5 % of a loaded consumer's CPU. A batch
        passes ``off``, asked once (asking OpenTelemetry per event was 1.5 % at ingest).
        """
        if not env.traceparent and (tracing_off() if off is None else off):
            return contextlib.nullcontext()
        carrier = {"traceparent": env.traceparent or "", "tracestate": env.tracestate or ""}
        attributes = {
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.offset": record.offset,
            "messaging.message.id": env.id,
            "cloudevents.event_type": env.type,
            "cloudevents.event_source": env.source,
            "cloudevents.event_subject": env.subject,
        }
        return consumer_span(
            {k: v for k, v in carrier.items() if v},
            topic=record.topic,
            consumer=self.name,
            attributes=attributes,
        )

    async def _in_order(
        self, record: IncomingRecord, headers: list[tuple[str, bytes]], env: Envelope, seq: int
    ) -> None:
        """The ordering rule of ``samverkan_shared.sequence``: apply, hold, or skip."""
        stream = Stream(self.name, env.source, record.topic)
        position = await retry_until_done(
            lambda: self._place(stream, record, env, seq),
            f"ordering {env.type} {env.id} ({self.name})",
            cap=self.max_backoff,
        )
        if position is Position.DONE:
            if dict(headers).get(REPLAY_HEADER):  # an operator re-drives a dead letter
                await self._finish(record, headers, env, None)
                return
            self.outcome.duplicates += 1
            CONSUMED.labels(self.name, "duplicate").inc()
            log.info("event already finished, skipped", consumer=self.name, sequence=seq)
            return
        if position is Position.AHEAD:
            self.outcome.held += 1
            CONSUMED.labels(self.name, "held").inc()
            log.info("event held behind a gap", consumer=self.name, sequence=seq)
            return
        await self._finish(record, headers, env, stream)
        await self._release(stream, seq + 1)

    async def _place(
        self, stream: Stream, record: IncomingRecord, env: Envelope, seq: int
    ) -> Position:
        """Classify against the stream's progress; an event ahead of a gap is held (committed)."""
        async with self.storage.unit_of_work() as uow:
            applied = await progress_of(uow.conn, self.storage.progress, stream)
            position = classify(seq, applied)
            if position is Position.AHEAD:
                copy = HeldRecord(
                    record.topic,
                    record.partition,
                    record.offset,
                    record.key,
                    record.value,
                    list(record.headers or ()),
                    seq,
                )
                await hold(uow.conn, self.storage.held, stream, seq, env.id, copy)
                await uow.commit()
            return position

    async def _release(self, stream: Stream, seq: int) -> None:
        """Apply held events that now follow without a gap, in sequence order."""
        while True:
            found = await self._take(stream, seq)
            if found is None:
                return
            env = from_kafka(found.key, found.value, found.headers)  # it parsed when held
            await self._finish(found, found.headers, env, stream)
            self.outcome.released += 1
            seq += 1

    async def _take(self, stream: Stream, seq: int) -> HeldRecord | None:
        async def read() -> HeldRecord | None:
            async with self.storage.engine.connect() as conn:
                return await take_held(conn, self.storage.held, stream, seq)

        return await retry_until_done(read, f"releasing held ({self.name})", self.max_backoff)

    async def _finish(
        self,
        record: IncomingRecord,
        headers: list[tuple[str, bytes]],
        env: Envelope,
        stream: Stream | None,
    ) -> None:
        """Decode, verify and apply — or dead-letter; a stream advances either way."""
        try:
            event = decode_event(env)
            if self.verify is not None:
                self.verify(env)
        except PoisonMessage as exc:
            poison: PoisonMessage | None = exc
        else:
            poison = await self._apply_with_retry(record, env, event, stream)
        if poison is None:
            return
        await self._dead_letter(record, headers, poison)
        if stream is not None and env.sequence is not None:
            sequence = env.sequence
            await retry_until_done(
                lambda: self._advance_alone(stream, sequence),
                f"advancing {stream.topic} ({self.name})",
                cap=self.max_backoff,
            )

    async def _advance_alone(self, stream: Stream, seq: int) -> None:
        async with self.storage.unit_of_work() as uow:
            await advance(uow.conn, self.storage.progress, self.storage.held, stream, seq)
            await uow.commit()

    async def _apply_with_retry(
        self, record: IncomingRecord, env: Envelope, event: Event, stream: Stream | None
    ) -> PoisonMessage | None:
        """Apply until done; transient failures are retried, what always fails is returned."""

        async def attempt() -> PoisonMessage | None:
            try:
                await self._apply(record, env, event, stream)
            except PoisonMessage as exc:
                return exc
            except (NotFound, Conflict) as exc:  # the domain refuses it: it always will
                return Rejected(str(exc))
            except (IntegrityError, DataError) as exc:  # the same input fails the same way
                return Rejected(f"database refused: {exc.orig}")
            except Exception:
                self.outcome.retries += 1
                RETRIES.labels(self.name).inc()
                raise  # transient: the database or the broker is away; nothing is committed
            return None

        return await retry_until_done(
            attempt, f"applying {env.type} {env.id} ({self.name})", cap=self.max_backoff
        )

    async def _apply(
        self, record: IncomingRecord, env: Envelope, event: Event, stream: Stream | None
    ) -> None:
        async with self.storage.unit_of_work() as uow:
            new = await record_in_inbox(
                uow.conn, self.storage.inbox, env, record.topic, record.partition, record.offset
            )
            if stream is not None and env.sequence is not None:  # in the effect's transaction
                s = self.storage
                await advance(uow.conn, s.progress, s.held, stream, env.sequence)
            if not new:
                await uow.commit()
                self.outcome.duplicates += 1
                CONSUMED.labels(self.name, "duplicate").inc()
                log.info("duplicate event ignored", consumer=self.name)
                return
            with HANDLER_SECONDS.labels(self.name).time():
                await self.handler(uow, env, event, record.topic)
                await uow.commit()
        self.outcome.applied += 1
        CONSUMED.labels(self.name, "applied").inc()
        log.info("event applied", consumer=self.name, source=env.source)

    async def _dead_letter(
        self, record: IncomingRecord, headers: list[tuple[str, bytes]], exc: PoisonMessage
    ) -> None:
        extra = [
            ("dlq-reason", exc.reason.encode()),
            ("dlq-error", str(exc).encode()[:4000]),
            ("dlq-consumer", self.name.encode()),
            ("dlq-topic", record.topic.encode()),
            ("dlq-partition", str(record.partition).encode()),
            ("dlq-offset", str(record.offset).encode()),
            ("dlq-at", datetime.now(UTC).isoformat().encode()),
        ]
        kept = [(k, v) for k, v in headers if not k.startswith("dlq-")]
        out = KafkaRecord(record.key or b"", record.value or b"", kept + extra)
        await retry_until_done(
            lambda: self.dead_letters.send(dead_letter(record.topic), out),
            f"dead-letter publish ({self.name})",
            cap=self.max_backoff,
        )
        self.outcome.dead_lettered += 1
        CONSUMED.labels(self.name, "dead_lettered").inc()
        if self.on_dead_letter is not None:
            hook = self.on_dead_letter
            await retry_until_done(lambda: hook(record, exc), f"dead-letter notice ({self.name})")
        log.warning(
            "event dead-lettered",
            consumer=self.name,
            topic=record.topic,
            offset=record.offset,
            reason=exc.reason,
            error=str(exc),
        )
