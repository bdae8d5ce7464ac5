"""The producer's partitioner: the Java client's choice, and no hash for one partition."""

from __future__ import annotations

from unittest.mock import patch
from uuid import uuid4

from aiokafka.partitioner import DefaultPartitioner

from samverkan_shared.kafka import KeyPartitioner


def test_a_key_goes_where_the_java_client_would_put_it() -> None:
    ours, default = KeyPartitioner(), DefaultPartitioner()
    partitions = [0, 1, 2]
    for _ in range(200):
        key = str(uuid4()).encode()
        assert ours(key, partitions, partitions) == default(key, partitions, partitions)


def test_one_partition_is_chosen_without_hashing_the_key() -> None:
    with patch("aiokafka.partitioner.murmur2", side_effect=AssertionError("hashed")):
        assert KeyPartitioner()(b"issue-1", [0], [0]) == 0
