"""After the broker lost its log: positions past the end are rewound; topics are never auto-created."""

from __future__ import annotations

import aiokafka.client
import pytest
from aiokafka import TopicPartition
from aiokafka.protocol.metadata import MetadataRequest_v5

from samverkan_shared.broker_loss import (
    forbid_topic_auto_creation,
    rejoin_if_stuck,
    rewind_if_lost,
)

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


class GroupMember:
    """The parts of aiokafka's consumer that ``rejoin_if_stuck`` reads, over a fake coordinator."""

    def __init__(self, state: str, assignments: list[bytes], mine: set[TopicPartition]) -> None:
        self._group_id = "national-council"
        self._coordinator = type("Coordinator", (), {"coordinator_id": 1})()
        self._subscription = type("Subscription", (), {"listener": object()})()
        self._client = self
        self.group = (
            0,
            self._group_id,
            state,
            "consumer",
            "",
            [(f"m{i}", "", "", b"", a) for i, a in enumerate(assignments)],
        )
        self.mine = mine
        self.calls: list[str] = []

    def subscription(self) -> set[str]:
        return {"samverkan.norra.upstream"}

    def assignment(self) -> set[TopicPartition]:
        return self.mine

    async def send(self, node: int, request: object) -> object:
        return type("Response", (), {"groups": [self.group]})()

    def unsubscribe(self) -> None:
        self.calls.append("unsubscribe")

    def subscribe(self, topics: list[str], listener: object) -> None:
        assert listener is self._subscription.listener  # FastStream's listener is kept
        self.calls.append(f"subscribe {topics}")


async def test_a_group_that_holds_nothing_is_joined_again() -> None:
    stuck = GroupMember("Stable", [b""], set())
    assert await rejoin_if_stuck(stuck)
    assert stuck.calls == ["unsubscribe", "subscribe ['samverkan.norra.upstream']"]


@pytest.mark.parametrize(
    ("state", "assignments", "mine"),
    [
        ("Stable", [b"", b"\x00\x01"], set()),  # another member holds the partitions
        ("PreparingRebalance", [b""], set()),  # a join under way
        ("Stable", [b"\x00\x01"], {A}),  # this member holds some
    ],
)
async def test_a_group_that_works_is_left_alone(
    state: str, assignments: list[bytes], mine: set[TopicPartition]
) -> None:
    member = GroupMember(state, assignments, mine)
    assert not await rejoin_if_stuck(member)
    assert member.calls == []
