"""Surviving a broker that lost its log: no auto-created topics, no position past the end.

When a broker loses every topic (a Tansu restart; on Apache Kafka, a cluster rebuilt empty or
an unclean leader election), three things broke recovery here (issue 6, measured):

1. aiokafka asks for metadata with ``allow_auto_topic_creation`` always true, so the empty
   broker created every topic a client named, with *its* default partition count (Tansu: 4;
   the registry: 3). Records keyed to the extra partition were never read (the group's
   assignment still had three), and the gap watcher, seeing every *assigned* partition
   committed, asked for the same re-send for ever. So no client of ours may create a topic:
   topics come only from the registry (``samverkan topics apply``, Strimzi's topic operator).
2. A consumer's position, and what it then commits, belong to the lost log. Apache Kafka
   answers a fetch past the end with OFFSET_OUT_OF_RANGE and the client resets to the
   earliest offset; Tansu answers with nothing, for ever. So every assigned partition whose
   position is past its end is rewound to its beginning; the inbox and the ordering rule
   (``samverkan_shared.sequence``) absorb whatever is read twice.
3. A group that re-formed while a topic was missing (the services reconnect before the
   topics are back) got no partition of it, yet aiokafka's leader recorded the topic's old
   partition count from metadata it had cached, so the topic's return looked like no change
   and the group never re-formed: a control consumer assigned nothing for minutes, its
   service deaf to every re-send request (measured). The leader now records such a topic as
   having no partitions, so the next metadata refresh (``kafka.METADATA_MAX_AGE_MS``) that
   finds it makes the group re-form. Not enough on Tansu 0.6 (measured): its groups stay at
   generation 0, and it may answer that re-form's SyncGroup with the previous, empty
   assignment, so the member still holds nothing. The control topic therefore has no group
   at all: every process is assigned its partition (``samverkan_shared.resend``), so every
   service hears re-send requests after a broker loss, and the sources re-send what their
   consumers' groups need (measured: ``make faults``, broker restart).
4. A consumer group may still stay stuck that way: Tansu reports it ``Stable`` with every
   member holding an empty assignment (seen with ``DescribeGroups``), and the service answers
   "no partitions assigned" on ``/readyz`` for ever. A new member's join re-forms it properly
   (measured), so a consumer that finds its whole group holding nothing leaves and joins
   again (``rejoin_if_stuck``). A member that merely has no partition because the group has
   more members than partitions is left alone: someone else holds them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiokafka.client
from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.errors import IllegalStateError
from aiokafka.protocol.admin import DescribeGroupsRequest
from aiokafka.protocol.metadata import MetadataRequest

from samverkan_shared.logs import get_logger

__all__ = [
    "forbid_topic_auto_creation",
    "log_ends",
    "notice_returned_topics",
    "rejoin_if_stuck",
    "rewind_if_lost",
]

log = get_logger(__name__)


class _NoAutoCreate(MetadataRequest):  # type: ignore[misc]
    """A metadata request that never asks the broker to create the topics it names."""

    def __init__(
        self, topics: list[str] | None = None, allow_auto_topic_creation: bool | None = False
    ) -> None:
        super().__init__(topics, allow_auto_topic_creation)


def forbid_topic_auto_creation() -> None:
    """Make every aiokafka client of this process ask for metadata without creating topics.

    aiokafka has no setting for it; its client builds ``MetadataRequest`` by this module
    name, so the class it finds there is replaced (idempotent).
    """
    aiokafka.client.MetadataRequest = _NoAutoCreate


_perform_assignment = GroupCoordinator._perform_assignment


async def _assign_noting_missing_topics(self: Any, response: Any) -> Any:
    """The leader's assignment; a subscribed topic no member got is recorded as partitionless."""
    assignments = await _perform_assignment(self, response)
    assigned = {tp.topic for a in assignments.values() for tp in a.partitions()}
    for topic in set(self._metadata_snapshot) - assigned:
        self._metadata_snapshot[topic] = 0
    return assignments


def notice_returned_topics() -> None:
    """Make every group led from this process re-form when a topic it lacked comes back.

    aiokafka has no hook for it; its leader's assignment step is wrapped (idempotent).
    """
    GroupCoordinator._perform_assignment = _assign_noting_missing_topics


async def log_ends(kafka: Any, parts: list[Any]) -> dict[Any, int]:
    """Each partition's end: the high watermark of the consumer's last fetch, else asked for.

    Like the lag metric, no broker round trip in the common case: a ListOffsets call made
    while the group re-forms on a broker that lost it was seen to stall the gap watcher.
    """
    ends = {tp: kafka.highwater(tp) for tp in parts}
    unknown = [tp for tp, end in ends.items() if end is None]
    if unknown:
        ends.update(await asyncio.wait_for(kafka.end_offsets(unknown), 5.0))
    return ends


async def rewind_if_lost(kafka: Any) -> list[str]:
    """Rewind assigned partitions positioned past their end; returns them as ``topic/p``."""
    parts = list(kafka.assignment())
    if not parts:
        return []
    ends = await log_ends(kafka, parts)
    rewound = []
    for tp in parts:
        if tp not in kafka.assignment():
            continue  # a rebalance took it meanwhile
        try:
            position = await asyncio.wait_for(kafka.position(tp), 5.0)
        except (IllegalStateError, TimeoutError):
            continue  # reassigned, or still resetting: the next round looks again
        if position > ends[tp]:
            await kafka.seek_to_beginning(tp)
            rewound.append(f"{tp.topic}/{tp.partition}")
            log.warning(
                "the broker lost this partition's log: reading it again from the beginning",
                topic=tp.topic,
                partition=tp.partition,
                position=position,
                end=ends[tp],
            )
    return rewound


async def rejoin_if_stuck(kafka: Any) -> bool:
    """Leave and join again if this consumer's whole group holds no partition (item 4).

    Asks the group's coordinator over the consumer's own connection; returns True if it
    re-joined.
    """
    group = getattr(kafka, "_group_id", None)
    topics = set(kafka.subscription())
    node = getattr(getattr(kafka, "_coordinator", None), "coordinator_id", None)
    if group is None or node is None or not topics or kafka.assignment():
        return False
    response = await kafka._client.send(node, DescribeGroupsRequest([group]))
    entry = response.groups[0]  # error, group, state, protocol type, protocol, members, …
    error, state, members = entry[0], entry[2], entry[5]
    if error or state != "Stable" or any(member[4] for member in members):  # 4: assignment
        return False
    listener = kafka._subscription.listener
    log.warning("consumer group holds no partition: joining again", group=group)
    kafka.unsubscribe()
    kafka.subscribe(topics=list(topics), listener=listener)
    return True
