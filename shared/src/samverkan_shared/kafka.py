"""The broker: producer settings, a record sink over FastStream, topic creation, subscribers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.producer import AioKafkaFastProducerImpl

from samverkan_shared.broker_loss import forbid_topic_auto_creation, notice_returned_topics
from samverkan_shared.consumer import EventConsumer
from samverkan_shared.envelope import KafkaRecord
from samverkan_shared.kafka_security import broker_security
from samverkan_shared.logs import get_logger
from samverkan_shared.pace import Pace, wait_for_batches
from samverkan_shared.pipeline import BatchPipeline
from samverkan_shared.settings import KafkaSettings
from samverkan_shared.topics import TopicSpec

__all__ = [
    "BrokerSink",
    "Fetched",
    "KeyPartitioner",
    "build_broker",
    "commit_violations",
    "ensure_topics",
    "raw_records",
    "records_behind",
    "subscribe",
]

METADATA_MAX_AGE_MS = 5_000

log = get_logger(__name__)


class KeyPartitioner:
    """aiokafka's partitioner (murmur2 of the key, as the Java client), which a topic of one
    partition skips.

    aiokafka hashes every key in Python, even when there is only one partition to choose; the
    dialogue topics have one (``topics.DIALOGUE_PARTITIONS``), and the hash was a fifth of the
    national council's relay (py-spy, README seventh round).
    """

    def __init__(self) -> None:
        self._by_hash = DefaultPartitioner()

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if len(all_partitions) == 1:
            return all_partitions[0]
        return int(self._by_hash(key, all_partitions, available))


def build_broker(settings: KafkaSettings, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker whose producer waits for every in-sync replica.

    Its clients never let the broker create a topic, and re-form a group when a topic it
    lacked comes back (``samverkan_shared.broker_loss``).
    """
    forbid_topic_auto_creation()
    notice_returned_topics()
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        partitioner=KeyPartitioner(),
        security=broker_security(settings),
        # Metadata at most 5 s old (aiokafka's default is 5 min): a consumer that joined its
        # group while a topic was missing (a broker that lost its topics, recreated a moment
        # later) is assigned nothing for it until its metadata is refreshed.
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        max_batch_size=settings.kafka_producer_batch_bytes,
        logger=None,
    )


class BrokerSink:
    """Publishes prepared records through the broker's own aiokafka producer.

    The records are already what goes on the wire (``to_kafka``: key, value, ``ce_*``
    headers), so they go straight to the producer FastStream started and configured (acks,
    idempotence, security). ``broker.publish`` would serialise the body again, turn the
    headers into a dict and back, and add a correlation id made with ``uuid4`` to every
    record: at ingest that was a fifth of the national council's event loop
    (``python -m bench --only ingest``: 2,342/s through ``broker.publish``, 2,797/s direct).
    """

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    def _producer(self) -> AIOKafkaProducer:
        # FastStream keeps the producer it started behind its publish command
        # (faststream.kafka.publisher.state.RealProducer); before start it raises
        # IncorrectState, as broker.publish would.
        publisher = cast("AioKafkaFastProducerImpl", self.broker.config.producer)
        return publisher._producer.producer

    async def send(self, topic: str, record: KafkaRecord) -> None:
        """Send one record and wait for the acknowledgement."""
        future = await self._producer().send(
            topic, value=record.value, key=record.key, headers=record.headers
        )
        await future

    async def send_all(self, records: Sequence[tuple[str, KafkaRecord]]) -> int:
        """Queue every record with the producer, then wait for the acknowledgements.

        The producer keeps one request in flight per partition, so records keep their order.
        """
        pending: list[asyncio.Future[Any]] = []
        try:
            producer = self._producer()
            for topic, record in records:
                future = await producer.send(
                    topic, value=record.value, key=record.key, headers=record.headers
                )
                pending.append(future)
        except Exception as exc:  # the producer refused to queue: send what was queued
            log.warning("queueing a record failed", error=repr(exc))
        results = await asyncio.gather(*pending, return_exceptions=True)
        done = 0
        for result in results:
            if isinstance(result, BaseException):
                log.warning("a record was not acknowledged", error=repr(result))
                break
            done += 1
        return done


@dataclass(frozen=True)
class Fetched:
    """What our subscribers' handlers receive: the records as fetched and who fetched them."""

    records: Any
    """aiokafka's ``ConsumerRecord``: a tuple of them for a batch subscriber, else one."""
    consumer: AIOKafkaConsumer | None


async def raw_records(msg: Any) -> Fetched:
    """A subscriber's decoder: the handler gets the records untouched, and who fetched them.

    Untouched: FastStream's own decoder parses JSON before the handler runs, and a malformed
    body would then fail outside our dead-letter path and be skipped when a later offset is
    committed. And with the consumer at hand the handler needs no ``KafkaMessage`` context
    parameter, which FastStream 0.7 resolves through fast_depends with a synchronous lookup
    run on a worker thread: a thread hop for every batch (README, eighth round). Not the
    message itself: FastStream caches the decoded body on the message, and a message that
    holds itself is freed only by the cycle collector, its records with it.
    """
    return Fetched(msg.raw_message, getattr(msg, "consumer", None))


def subscribe(
    broker: KafkaBroker,
    consumer: EventConsumer,
    topics: Iterable[str],
    *,
    group_id: str,
    settings: KafkaSettings,
) -> tuple[Any, Pace, BatchPipeline]:
    """Register a subscriber that commits only after the consumer applied the records.

    AckPolicy.MANUAL: FastStream's default commits before the handler runs; ACK commits
    even when it raised; NACK_ON_ERROR spins on a poison message. We commit ourselves, each
    batch (what ``getmany`` had buffered, up to ``kafka_batch_max_records``) its own offsets
    once it is applied, through a ``BatchPipeline`` that decodes the next batch meanwhile.
    The returned ``Pace`` slows the subscriber's fetching when it is idle (run its ``run``);
    the pipeline is closed before the broker stops.
    """
    subscriber = broker.subscriber(
        *topics,
        decoder=raw_records,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        # aiokafka asks the broker to hold an empty fetch for 500 ms; Tansu may hold a fetch of
        # several partitions most of that long though a record arrived (bench.fetch_wait),
        # which was most of an event's latency (measured).
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        # aiokafka's defaults (50 MiB a fetch, 1 MiB a partition) let a consumer behind a
        # backlog buffer tens of MiB of records it will not apply for seconds; a batch is
        # at most kafka_batch_max_records (~0.25 MiB of escalations).
        fetch_max_bytes=settings.kafka_fetch_max_bytes,
        max_partition_fetch_bytes=settings.kafka_max_partition_fetch_bytes,
        batch=True,
        max_records=settings.kafka_batch_max_records,
        # How long one poll waits (wait_for_batches): records end it at once, so this only
        # sets how often a consumer with nothing to do wakes.
        batch_timeout_ms=settings.kafka_batch_wait_ms,
    )

    pace = Pace(
        subscriber,
        busy_fetch_ms=settings.kafka_fetch_max_wait_ms,
        idle_fetch_ms=settings.kafka_idle_fetch_max_wait_ms,
        busy_poll_ms=settings.kafka_batch_wait_ms,
        idle_poll_ms=max(settings.kafka_batch_wait_ms, settings.kafka_idle_fetch_max_wait_ms // 2),
        idle_after=settings.kafka_idle_after_ms / 1000,
    )

    # This subscriber's poll, not FastStream's: no sleep after an empty one (pace.py).
    subscriber.get_msg = wait_for_batches(subscriber)  # type: ignore[method-assign,assignment]
    pipeline = BatchPipeline(consumer)

    @subscriber
    async def handle(body: Any) -> None:  # Any: FastStream would validate a named type
        fetched: Fetched = body  # raw_records
        pace.busy()
        # The consumer that fetched the batch commits it, even if it was re-created since.
        kafka_consumer = fetched.consumer
        assert kafka_consumer is not None  # a batch subscriber's message names its consumer

        async def commit(offsets: dict[TopicPartition, int]) -> None:
            try:
                await kafka_consumer.commit(offsets)
            except KafkaError as exc:  # partitions moved on: their next reader gets the
                # batch again and the inbox absorbs it (applied once, as after a crash)
                log.warning("offsets not committed", consumer=consumer.name, error=repr(exc))

        await pipeline.take(fetched.records, commit, behind=records_behind(kafka_consumer))

    return subscriber, pace, pipeline


def records_behind(consumer: AIOKafkaConsumer) -> int:
    """Records in the consumer's assigned partitions it has not taken yet: from its position
    (after the batch it handed out last) to the high watermark of its last fetch of each.

    Every assigned partition counts, not only the batch's: a group reading six regions'
    topics is handed one partition's records at a time, and counting only that partition
    made the last thousand records of every topic look like a consumer keeping up (the
    national council checked 30 % of a 20,000-event backlog's signatures inline). A partition
    not fetched yet, or whose position is being reset, counts nothing.

    Read from aiokafka's partition state: its public ``position`` waits (up to the request
    time-out) for a position being reset, and this is asked before every batch.
    """
    subscription = consumer._subscription.subscription
    assignment = None if subscription is None else subscription.assignment
    if assignment is None:  # between two assignments (a rebalance)
        return 0
    waiting = 0
    for tp in consumer.assignment():
        state = assignment.state_value(tp)
        if state is not None and state.highwater is not None and state.has_valid_position:
            waiting += max(0, state.highwater - state.position)
    return waiting


async def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics the registry names; returns the ones that were new."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            new = [
                NewTopic(
                    s.name,
                    num_partitions=s.partitions,
                    replication_factor=1,
                    topic_configs={"retention.ms": str(s.retention_ms)},
                )
                for s in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return [s.name for s in missing]
    finally:
        await admin.close()


def commit_violations(broker: KafkaBroker) -> list[str]:
    """Subscribers that would commit before (or regardless of) the effect; must be empty."""
    return [
        f"{getattr(sub, 'call_name', sub)} uses {sub.ack_policy.value}"
        for sub in broker.subscribers
        if sub.ack_policy is not AckPolicy.MANUAL
    ]
