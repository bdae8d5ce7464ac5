"""Topic names, partitions and retention: derived from the region registry in this one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from samverkan_shared.registry import load_regions

__all__ = [
    "Direction",
    "TopicSpec",
    "all_topics",
    "dead_letter",
    "downstream",
    "region_of_topic",
    "upstream",
]

PREFIX = "samverkan"
PARTITIONS = 3
RETENTION_MS = 30 * 24 * 3600 * 1000
DEAD_LETTER_RETENTION_MS = 90 * 24 * 3600 * 1000


class Direction(StrEnum):
    """Which way an event travels in the dialogue."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


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
    """Every topic of the network: two per region plus a dead letter beside each."""
    specs: list[TopicSpec] = []
    for region in load_regions():
        for direction, name in (
            (Direction.UPSTREAM, upstream(region.code)),
            (Direction.DOWNSTREAM, downstream(region.code)),
        ):
            specs.append(TopicSpec(name, PARTITIONS, RETENTION_MS, region.code, direction))
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
