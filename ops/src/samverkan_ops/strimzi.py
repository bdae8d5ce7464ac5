"""Strimzi ``KafkaTopic`` and ``KafkaUser`` resources, derived from the topic registry.

Each service has its own SCRAM-SHA-512 principal. Its ACLs allow exactly what the service
does, nothing more: a regional council writes only its own upstream topic and reads only its
own downstream (and intake) topic, so the national council can trust the topic an event
arrived on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from samverkan_shared.registry import load_regions
from samverkan_shared.topics import (
    TopicSpec,
    all_topics,
    dead_letter,
    downstream,
    intake,
    intake_errors,
    upstream,
)

__all__ = [
    "API_VERSION",
    "CLUSTER",
    "OPERATOR",
    "REPLICAS",
    "Grant",
    "consumer_groups",
    "grants",
    "kafka_topic",
    "kafka_user",
    "principals",
    "regional_principal",
    "topic_resources",
    "user_resources",
]

API_VERSION = "kafka.strimzi.io/v1"
CLUSTER = "samverkan"  # the Kafka resource the operator watches (strimzi.io/cluster label)
REPLICAS = 3
MIN_INSYNC_REPLICAS = 2  # with acks=all: a write survives the loss of one broker
OPERATOR = "samverkan-operator"  # the `samverkan` CLI: topics, status, tail, dlq, replay


@dataclass(frozen=True, slots=True)
class Grant:
    """One ACL rule: operations on a literal (or prefixed) topic or consumer group."""

    resource: str  # "topic" | "group"
    name: str
    operations: tuple[str, ...]
    pattern: str = "literal"


def regional_principal(region: str) -> str:
    """The KafkaUser (and SCRAM user name) of a region's council."""
    return f"regional-council-{region}"


def consumer_groups(service: str, region: str | None = None) -> list[str]:
    """The consumer groups a service joins (as its bootstrap names them)."""
    if region is None:
        return [service]
    name = f"{service}.{region}"
    return [name, f"{name}.intake"]


def _write(*topics: str) -> list[Grant]:
    return [Grant("topic", t, ("Describe", "Write")) for t in topics]


def _read(*topics: str) -> list[Grant]:
    return [Grant("topic", t, ("Describe", "Read")) for t in topics]


def _groups(names: list[str]) -> list[Grant]:
    return [Grant("group", g, ("Read",)) for g in names]


def _regional(region: str) -> list[Grant]:
    down, inbox = downstream(region), intake(region)
    return [
        *_write(upstream(region), intake_errors(region), dead_letter(down), dead_letter(inbox)),
        *_read(down, inbox),
        *_groups(consumer_groups("regional-council", region)),
    ]


def _national() -> list[Grant]:
    codes = [r.code for r in load_regions()]
    return [
        *_read(*(upstream(c) for c in codes)),
        *_write(*(downstream(c) for c in codes), *(dead_letter(upstream(c)) for c in codes)),
        *_groups(consumer_groups("national-council")),
    ]


def _notifications() -> list[Grant]:
    consumed = [t for r in load_regions() for t in (upstream(r.code), downstream(r.code))]
    return [
        *_read(*consumed),
        *_write(*(dead_letter(t) for t in consumed)),
        *_groups(consumer_groups("notifications")),
    ]


def _operator() -> list[Grant]:
    every = ("Create", "Describe", "DescribeConfigs", "Alter", "AlterConfigs", "Read", "Write")
    return [
        Grant("topic", "samverkan.", every, "prefix"),
        Grant("group", "samverkan-cli", ("Describe", "Read"), "prefix"),
        # `status` reads every service's committed offsets to compute consumer lag.
        *(Grant("group", g, ("Describe",)) for g in _all_service_groups()),
    ]


def _all_service_groups() -> list[str]:
    groups = consumer_groups("national-council") + consumer_groups("notifications")
    for region in load_regions():
        groups += consumer_groups("regional-council", region.code)
    return groups


def principals() -> dict[str, list[Grant]]:
    """Every KafkaUser and its grants, in a stable order."""
    users = {"national-council": _national(), "notifications": _notifications()}
    for region in load_regions():
        users[regional_principal(region.code)] = _regional(region.code)
    users[OPERATOR] = _operator()
    return users


def grants(user: str) -> list[Grant]:
    """The grants of one principal."""
    return principals()[user]


def _labels(extra: dict[str, str]) -> dict[str, str]:
    return {"strimzi.io/cluster": CLUSTER, "app.kubernetes.io/part-of": "samverkan", **extra}


def kafka_topic(spec: TopicSpec) -> dict[str, Any]:
    """A KafkaTopic; the resource name is the topic name (dots are valid in k8s names)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaTopic",
        "metadata": {
            "name": spec.name,
            "labels": _labels(
                {
                    "samverkan.se/region": spec.region,
                    "samverkan.se/direction": spec.direction.value,
                    "samverkan.se/dead-letter": str(spec.dead_letter).lower(),
                }
            ),
        },
        "spec": {
            "topicName": spec.name,
            "partitions": spec.partitions,
            "replicas": REPLICAS,
            "config": {
                "retention.ms": spec.retention_ms,
                "cleanup.policy": "delete",
                "min.insync.replicas": MIN_INSYNC_REPLICAS,
            },
        },
    }


def kafka_user(name: str, rules: list[Grant]) -> dict[str, Any]:
    """A KafkaUser with SCRAM-SHA-512; Strimzi writes its password to a Secret of that name."""
    acls = [
        {
            "resource": {"type": g.resource, "name": g.name, "patternType": g.pattern},
            "operations": list(g.operations),
            "host": "*",
        }
        for g in rules
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": {"name": name, "labels": _labels({"app.kubernetes.io/name": name})},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def topic_resources() -> list[dict[str, Any]]:
    """Every KafkaTopic of the registry."""
    return [kafka_topic(spec) for spec in all_topics()]


def user_resources() -> list[dict[str, Any]]:
    """Every KafkaUser with its ACLs."""
    return [kafka_user(name, rules) for name, rules in principals().items()]
