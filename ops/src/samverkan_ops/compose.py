"""The Docker Compose network, derived from the region and topic registries.

Apache Kafka (KRaft), PostgreSQL with a database per service, a signing-key job, a topic
job, one migration job per service, national, notifications, one regional council per
region, and Mailpit as the SMTP sink with a web UI.
"""

from __future__ import annotations

import shlex
from typing import Any

from samverkan_shared.registry import load_regions
from samverkan_shared.topics import all_topics

__all__ = ["KAFKA_IMAGE", "compose_file", "database_names"]

KAFKA_IMAGE = "apache/kafka:3.9.1"
POSTGRES_IMAGE = "postgres:16-bookworm"
MAILPIT_IMAGE = "axllent/mailpit:v1.27"
KEYS = "/var/lib/samverkan/keys"
_DONE = {"condition": "service_completed_successfully"}
_HEALTHY = {"condition": "service_healthy"}


def _db(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def database_names() -> list[str]:
    """One PostgreSQL database (and role of the same name) per service deployment."""
    names = ["national-council", "notifications"]
    names += [f"regional-council.{r.code}" for r in load_regions()]
    return [_db(n) for n in names]


def _build(service: str) -> dict[str, Any]:
    return {"context": "../..", "dockerfile": "Dockerfile", "args": {"SERVICE": service}}


def _env(deployment: str) -> dict[str, str]:
    db = _db(deployment)
    return {
        "SAMVERKAN_ENVIRONMENT": "production",
        "SAMVERKAN_API_TOKEN": "${SAMVERKAN_API_TOKEN:?copy .env.example to .env and set it}",
        "SAMVERKAN_DATABASE_URL": (
            f"postgresql+asyncpg://{db}:${{POSTGRES_PASSWORD:?set it in .env}}@postgres:5432/{db}"
        ),
        "SAMVERKAN_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "SAMVERKAN_KAFKA_IDEMPOTENT_PRODUCER": "true",
        "SAMVERKAN_MIGRATE_ON_START": "false",
    }


def _service(
    image_service: str, deployment: str, extra_env: dict[str, str], volumes: list[str]
) -> dict[str, Any]:
    """A long-running service and the migration job it waits for."""
    return {
        "image": f"samverkan/{image_service}:${{SAMVERKAN_TAG:-latest}}",
        # Every user of an image says how to build it: `up` never tries to pull our images.
        "build": _build(image_service),
        "environment": {**_env(deployment), **extra_env},
        "volumes": volumes,
        "restart": "unless-stopped",
    }


def _migration(service: dict[str, Any]) -> dict[str, Any]:
    return {
        "image": service["image"],
        "build": service["build"],
        "command": ["migrate"],
        "environment": service["environment"],
        "volumes": service["volumes"],
        "depends_on": {"postgres": _HEALTHY, "keys": _DONE},
        "restart": "no",
    }


def _kafka() -> dict[str, Any]:
    listeners = "PLAINTEXT://:9092,CONTROLLER://:9093,HOST://:9094"
    return {
        "image": KAFKA_IMAGE,
        "hostname": "kafka",
        "environment": {
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": listeners,
            "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:9092,HOST://localhost:9094",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,HOST:PLAINTEXT"
            ),
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka:9093",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
        },
        "ports": ["127.0.0.1:9094:9094"],
        "volumes": ["kafka-data:/var/lib/kafka/data"],
        "healthcheck": {
            "test": [
                "CMD-SHELL",
                "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092"
                " >/dev/null 2>&1",
            ],
            "interval": "5s",
            "timeout": "10s",
            "retries": 30,
            "start_period": "10s",
        },
        "restart": "unless-stopped",
    }


def _topics_job() -> dict[str, Any]:
    """kafka-topics.sh from the broker's own image: nothing of ours needed to create topics."""
    lines = ["set -e"]
    for spec in all_topics():
        lines.append(
            "/opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --create"
            f" --if-not-exists --topic {shlex.quote(spec.name)}"
            f" --partitions {spec.partitions} --replication-factor 1"
            f" --config retention.ms={spec.retention_ms}"
        )
    lines.append('echo "topics ready"')
    return {
        "image": KAFKA_IMAGE,
        "entrypoint": ["/bin/sh", "-c"],
        "command": ["\n".join(lines)],
        "depends_on": {"kafka": _HEALTHY},
        "restart": "no",
    }


def _postgres() -> dict[str, Any]:
    return {
        "image": POSTGRES_IMAGE,
        "environment": {
            "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?copy .env.example to .env and set it}",
            "SAMVERKAN_DATABASES": " ".join(database_names()),
        },
        "volumes": [
            "postgres-data:/var/lib/postgresql/data",
            "./postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-databases.sh:ro",
        ],
        "healthcheck": {
            "test": ["CMD-SHELL", "pg_isready -U postgres -d postgres"],
            "interval": "5s",
            "timeout": "5s",
            "retries": 30,
        },
        "restart": "unless-stopped",
    }


def _keys_job(regions: list[str]) -> dict[str, Any]:
    """Ed25519 keys per region (kept when present) and the public registry, into volumes."""
    volumes = [f"keys-{r}:/keys/{r}" for r in regions] + ["key-registry:/keys/registry"]
    volumes.append("./keys/generate_keys.py:/opt/samverkan/generate_keys.py:ro")
    return {
        "image": "samverkan/regional-council:${SAMVERKAN_TAG:-latest}",
        "build": _build("regional-council"),
        "user": "0:0",  # creates the files, then hands them to the service user (10001)
        "entrypoint": ["python", "/opt/samverkan/generate_keys.py", "/keys"],
        "volumes": volumes,
        "restart": "no",
    }


def _waits(migration: str) -> dict[str, Any]:
    return {migration: _DONE, "topics": _DONE, "kafka": _HEALTHY, "keys": _DONE}


def compose_file() -> dict[str, Any]:
    """The whole compose document."""
    regions = [r.code for r in load_regions()]
    services: dict[str, Any] = {
        "kafka": _kafka(),
        "topics": _topics_job(),
        "postgres": _postgres(),
        "mailpit": {
            "image": MAILPIT_IMAGE,
            "ports": ["127.0.0.1:8025:8025"],
            "restart": "unless-stopped",
        },
        "keys": _keys_job(regions),
    }
    national = _service(
        "national-council",
        "national-council",
        {"SAMVERKAN_KEY_REGISTRY_FILE": f"{KEYS}/registry.json"},
        [f"key-registry:{KEYS}:ro"],
    )
    deployments: list[tuple[str, dict[str, Any], str]] = [
        ("national-council", national, "127.0.0.1:8000:8000")
    ]
    for i, region in enumerate(regions):
        svc = _service(
            "regional-council",
            f"regional-council.{region}",
            {
                "SAMVERKAN_REGION": region,
                "SAMVERKAN_SIGNING_KEY_ID": f"{region}-1",
                "SAMVERKAN_SIGNING_KEY_FILE": f"{KEYS}/signing.key",
            },
            [f"keys-{region}:{KEYS}:ro"],
        )
        deployments.append((f"regional-council-{region}", svc, f"127.0.0.1:{8101 + i}:8000"))
    notifications = _service(
        "notifications",
        "notifications",
        {
            "SAMVERKAN_SMTP_HOST": "mailpit",
            "SAMVERKAN_SMTP_PORT": "1025",
            "SAMVERKAN_LINK_SECRET": "${SAMVERKAN_LINK_SECRET:?copy .env.example to .env and set it}",
        },
        [],
    )
    deployments.append(("notifications", notifications, "127.0.0.1:8200:8000"))
    for name, svc, port in deployments:
        services[f"migrate-{name}"] = _migration(svc)
        services[name] = {**svc, "ports": [port], "depends_on": _waits(f"migrate-{name}")}
        if not svc["volumes"]:
            del services[f"migrate-{name}"]["volumes"]
            del services[name]["volumes"]
    services["notifications"]["depends_on"]["mailpit"] = {"condition": "service_started"}
    volumes: dict[str, Any] = {"kafka-data": {}, "postgres-data": {}, "key-registry": {}}
    volumes.update({f"keys-{r}": {} for r in regions})
    return {"name": "samverkan", "services": services, "volumes": volumes}
