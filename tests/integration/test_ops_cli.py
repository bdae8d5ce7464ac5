"""The operator's `samverkan` command against a real broker and the running network."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from devstack.broker import Tansu, free_port
from samverkan_shared.topics import all_topics, intake
from tests.conftest import Network

SAMVERKAN = str(Path(sys.executable).parent / "samverkan")
ESCALATION = {
    "title": "Tail ska visa denna",
    "summary": "En eskalering som operatören följer live.",
    "areas": ["clinical-placement"],
    "reason_not_regional": "Beslutas nationellt.",
    "requested_outcome": "En nationell bedömning.",
}


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAMVERKAN, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", **(env or {})},
        check=False,
    )


@pytest.fixture
def empty_broker() -> Iterator[str]:
    broker = Tansu(port=free_port()).start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


async def _create(bootstrap: str, topic: NewTopic) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic is not None:
            await admin.create_topics([topic])
            return {}
        # Only after apply: describing a missing topic makes Tansu create it (4 partitions).
        described = await admin.describe_topics([s.name for s in all_topics()])
        return {d["topic"]: len(d["partitions"]) for d in described if d["error_code"] == 0}
    finally:
        await admin.close()


def test_topics_apply_creates_the_registry_then_changes_nothing(empty_broker: str) -> None:
    # One topic exists already, wrongly: one partition and a one-second retention.
    drifted = intake("norra")  # three partitions wanted
    asyncio.run(
        _create(empty_broker, NewTopic(drifted, 1, 1, topic_configs={"retention.ms": "1000"}))
    )

    first = run("topics", "apply", "--bootstrap", empty_broker)
    held = asyncio.run(_create(empty_broker, None))
    wanted = {s.name: s.partitions for s in all_topics()}
    assert {t: held[t] for t in wanted if t != drifted} == {
        t: p for t, p in wanted.items() if t != drifted
    }
    assert f"{len(wanted) - 1} created" in first.stdout
    # Tansu can neither add partitions nor alter configs: the drift is named, the exit is 1.
    assert first.returncode == 1
    assert "partitions 1 → 3" in first.stdout and "retention.ms 1000 → 2592000000" in first.stdout

    again = run("topics", "apply", "--bootstrap", empty_broker)
    assert f"{len(wanted) - 1} unchanged" in again.stdout, again.stdout

    status = run("topics", "status", "--bootstrap", empty_broker)
    assert status.returncode == 1
    assert "1 differ from it" in status.stdout
    row = next(line for line in status.stdout.splitlines() if f" {drifted} " in line)
    assert "partitions 1 → 3" in row


async def test_status_shows_every_service_ready_with_lag_and_backlog(network: Network) -> None:
    services = ",".join(f"{name}={spec.url}" for name, spec in network.specs.items())
    result = await asyncio.to_thread(run, "status", env={"SAMVERKAN_SERVICES": services})
    assert result.returncode == 0, result.stdout + result.stderr
    for name in network.specs:
        row = next(line for line in result.stdout.splitlines() if f" {name} " in line)
        assert "ready" in row
        # lag and outbox backlog are numbers the service reported, not placeholders
        cells = [c.strip() for c in row.split("│") if c.strip()]
        assert cells[3].split(" ")[0].isdigit() and cells[4].isdigit(), row

    unreachable = await asyncio.to_thread(
        run, "status", "--service", f"ghost=http://127.0.0.1:{free_port()}"
    )
    assert unreachable.returncode == 1
    assert "unreachable" in unreachable.stdout


async def test_tail_follows_the_dialogue_decoded_and_filtered(network: Network) -> None:
    norra = network.client("regional-council.norra")
    created = await norra.post("/escalations", json=ESCALATION)
    assert created.status_code == 201, created.text
    subject = f"issues/{created.json()['id']}"

    result = await asyncio.to_thread(
        run,
        "tail",
        "--bootstrap",
        network.bootstrap,
        "--region",
        "norra",
        "--type",
        "issue.escalated",
        "--from-beginning",
        "--idle-exit",
        "3",
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if subject in line]
    assert len(lines) == 1
    assert "samverkan.norra.upstream" in lines[0]
    assert "issue.escalated.v1" in lines[0]
    assert "/samverkan/regions/norra" in lines[0]
    events = [line for line in result.stdout.splitlines() if "issue.escalated" in line]
    assert events and all("samverkan.norra." in line for line in events)

    wrong = await asyncio.to_thread(
        run, "tail", "--bootstrap", network.bootstrap, "--region", "atlantis"
    )
    assert wrong.returncode == 2
    assert "atlantis" in wrong.stdout + wrong.stderr
