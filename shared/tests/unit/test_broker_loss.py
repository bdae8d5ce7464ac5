"""After the broker lost its log: positions past the end are rewound; topics are never auto-created."""

from __future__ import annotations

import aiokafka.client
import pytest
from aiokafka import TopicPartition
from aiokafka.protocol.metadata import MetadataRequest_v5

from samverkan_shared.broker_loss import forbid_topic_auto_creation, rewind_if_lost

A, B = TopicPartition("samverkan.norra.upstream", 0), TopicPartition("samverkan.norra.upstream", 1)


class FakeConsumer:
    """The four calls of aiokafka's consumer the guard uses."""

    def __init__(self, positions: dict[TopicPartition, int], ends: dict[TopicPartition, int]):
        self.positions = positions
        self.ends = ends
        self.rewound: list[TopicPartition] = []

    def highwater(self, tp: TopicPartition) -> int | None:
        return None  # not fetched yet: the guard asks the broker

    def assignment(self) -> set[TopicPartition]:
        return set(self.positions)

    async def end_offsets(self, parts: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.ends[tp] for tp in parts}

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    async def seek_to_beginning(self, *parts: TopicPartition) -> None:
        self.rewound.extend(parts)


async def test_a_position_past_the_end_is_rewound_and_others_are_left_alone() -> None:
    # Partition 0 was at 300 in the lost log; the new one holds 12. Partition 1 is current.
    kafka = FakeConsumer({A: 300, B: 7}, {A: 12, B: 7})
    assert await rewind_if_lost(kafka) == ["samverkan.norra.upstream/0"]
    assert kafka.rewound == [A]


async def test_nothing_assigned_means_nothing_to_do() -> None:
    assert await rewind_if_lost(FakeConsumer({}, {})) == []


def test_metadata_requests_never_ask_the_broker_to_create_a_topic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Restored afterwards: the test process's own helpers may still create topics.
    monkeypatch.setattr(aiokafka.client, "MetadataRequest", aiokafka.client.MetadataRequest)
    forbid_topic_auto_creation()
    request = aiokafka.client.MetadataRequest(["samverkan.norra.upstream"])
    built = request.build(MetadataRequest_v5)
    assert built.allow_auto_topic_creation is False
