"""The committed KafkaUsers grant each principal exactly what its service does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from samverkan_shared.registry import load_regions
from samverkan_shared.topics import (
    all_topics,
    dead_letter,
    downstream,
    intake,
    intake_errors,
    upstream,
)
from tests.deploy.tools import ROOT

KAFKA = ROOT / "deploy" / "k8s" / "kafka"
REGIONS = [r.code for r in load_regions()]


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((KAFKA / name).read_text()) if d]


@pytest.fixture(scope="module")
def users() -> dict[str, list[dict[str, Any]]]:
    return {u["metadata"]["name"]: u["spec"]["authorization"]["acls"] for u in _docs("users.yaml")}


def _topics(acls: list[dict[str, Any]], operation: str) -> set[str]:
    return {
        a["resource"]["name"]
        for a in acls
        if a["resource"]["type"] == "topic" and operation in a["operations"]
    }


def test_every_registry_topic_has_a_kafka_topic() -> None:
    committed = {d["spec"]["topicName"]: d["spec"] for d in _docs("topics.yaml")}
    assert set(committed) == {t.name for t in all_topics()}
    for spec in all_topics():
        assert committed[spec.name]["partitions"] == spec.partitions
        assert committed[spec.name]["config"]["retention.ms"] == spec.retention_ms


def test_every_user_authenticates_with_scram_sha_512() -> None:
    for user in _docs("users.yaml"):
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}


@pytest.mark.parametrize("region", REGIONS)
def test_a_region_writes_only_its_upstream_and_reads_only_its_downstream(
    users: dict[str, list[dict[str, Any]]], region: str
) -> None:
    acls = users[f"regional-council-{region}"]
    assert all(a["resource"]["patternType"] == "literal" for a in acls)
    assert _topics(acls, "Write") == {
        upstream(region),
        intake_errors(region),  # tells its own systems why an intake message was refused
        dead_letter(downstream(region)),
        dead_letter(intake(region)),
    }
    assert _topics(acls, "Read") == {downstream(region), intake(region)}
    others = {t.name for t in all_topics() if t.region != region}
    assert not (_topics(acls, "Write") | _topics(acls, "Read")) & others
    groups = {a["resource"]["name"] for a in acls if a["resource"]["type"] == "group"}
    assert groups == {f"regional-council.{region}", f"regional-council.{region}.intake"}


def test_national_reads_every_upstream_and_writes_every_downstream(
    users: dict[str, list[dict[str, Any]]],
) -> None:
    acls = users["national-council"]
    assert _topics(acls, "Read") == {upstream(r) for r in REGIONS}
    assert _topics(acls, "Write") == {downstream(r) for r in REGIONS} | {
        dead_letter(upstream(r)) for r in REGIONS
    }


def test_notifications_reads_both_directions_and_writes_only_dead_letters(
    users: dict[str, list[dict[str, Any]]],
) -> None:
    acls = users["notifications"]
    consumed = {upstream(r) for r in REGIONS} | {downstream(r) for r in REGIONS}
    assert _topics(acls, "Read") == consumed
    assert _topics(acls, "Write") == {dead_letter(t) for t in consumed}
