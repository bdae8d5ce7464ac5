"""Topic names, partitions and retention: derived from the region registry in this one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from samverkan_shared.registry import load_regions

__all__ = [
    "CONTROL_PARTITIONS",
    "DIALOGUE_PARTITIONS",
    "INTAKE_PARTITIONS",
    "Direction",
    "TopicSpec",
    "all_topics",
    "control",
    "dead_letter",
    "downstream",
    "intake",
    "intake_errors",
    "region_of_topic",
    "upstream",
]

PREFIX = "samverkan"
DIALOGUE_PARTITIONS = 1
"""Upstream and downstream: one partition each.

Their events carry one sequence per (source, topic), and a consumer applies each stream in
that order (``samverkan_shared.sequence``). Spread over partitions, a stream reached the
consumer a partition at a time — one partition's events hundreds ahead of another's in a
backlog — and every event past the gap was held in the database until the other partitions
caught up: 65 % of 20,000 queued escalations were (README, seventh round). One region's
dialogue is a few events a minute; the order is the product. The partition key (the issue id)
is still set, so a topic given more partitions keeps each issue's events in order and the
consumer still applies the stream in order, only holding more.
"""
INTAKE_PARTITIONS = 3
"""Regional systems → their council: not sequenced (each message stands alone)."""
RETENTION_MS = 30 * 24 * 3600 * 1000
DEAD_LETTER_RETENTION_MS = 90 * 24 * 3600 * 1000
CONTROL_RETENTION_MS = 24 * 3600 * 1000  # heads repeat and requests are re-made; a day is plenty


class Direction(StrEnum):
    """Which way an event travels in the dialogue."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    INTAKE = "intake"  # a region's own IT systems → its regional council
    CONTROL = "control"  # between the services themselves: stream heads and re-send requests


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as the broker should hold it."""

    name: str
    partitions: int
    retention_ms: int
    region: str
    direction: Direction
    dead_letter: bool = False


def upstream(region: str) -> str:
    """Region → national: written only by the region's own service."""
    return f"{PREFIX}.{region}.upstream"


def downstream(region: str) -> str:
    """National → region: read only by the region's own service (and notifications)."""
    return f"{PREFIX}.{region}.downstream"


def intake(region: str) -> str:
    """Regional IT systems → their regional council, in any language and Kafka client."""
    return f"{PREFIX}.{region}.intake"


def intake_errors(region: str) -> str:
    """Why an intake message was refused, for the system that sent it."""
    return f"{PREFIX}.{region}.intake.errors"


CONTROL_PARTITIONS = 1
"""Every service reads all of the control topic (assigned, not by a group): one is enough."""


def control() -> str:
    """Stream heads and re-send requests between services (samverkan_shared.resend)."""
    return f"{PREFIX}.control.streams"


def dead_letter(topic: str) -> str:
    """The dead-letter topic beside a consumed topic."""
    return f"{topic}.dlq"


def region_of_topic(topic: str) -> str:
    """The region code a dialogue or dead-letter topic belongs to."""
    parts = topic.split(".")
    if len(parts) < 3 or parts[0] != PREFIX:
        raise ValueError(f"not a Samverkan topic: {topic!r}")
    return parts[1]


def all_topics() -> list[TopicSpec]:
    """Every topic: the control topic, and per region the dialogue pair and the intake, each
    with its dead letter, and the intake's error topic."""
    specs: list[TopicSpec] = [
        TopicSpec(control(), CONTROL_PARTITIONS, CONTROL_RETENTION_MS, "", Direction.CONTROL)
    ]
    for region in load_regions():
        specs.append(
            TopicSpec(intake_errors(region.code), 1, RETENTION_MS, region.code, Direction.INTAKE)
        )
        for direction, name, partitions in (
            (Direction.UPSTREAM, upstream(region.code), DIALOGUE_PARTITIONS),
            (Direction.DOWNSTREAM, downstream(region.code), DIALOGUE_PARTITIONS),
            (Direction.INTAKE, intake(region.code), INTAKE_PARTITIONS),
        ):
            specs.append(TopicSpec(name, partitions, RETENTION_MS, region.code, direction))
            specs.append(
                TopicSpec(
                    dead_letter(name),
                    1,
                    DEAD_LETTER_RETENTION_MS,
                    region.code,
                    direction,
                    dead_letter=True,
                )
            )
    return specs
