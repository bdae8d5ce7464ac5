"""No subscriber may use FastStream's default Kafka ack policy (commit before the handler)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from devstack.keys import ensure_keys, key_id, key_path
from national_council.bootstrap import build as build_national
from national_council.settings import NationalSettings
from notifications.bootstrap import build as build_notifications
from notifications.settings import NotificationSettings
from regional_council.bootstrap import build as build_regional
from regional_council.settings import RegionalSettings
from samverkan_shared.kafka import build_broker, commit_violations
from samverkan_shared.settings import KafkaSettings


def _apps(keys: Path) -> dict[str, FastAPI]:
    sqlite = "sqlite+aiosqlite:///:memory:"
    registry = ensure_keys(keys)
    regional = RegionalSettings(
        region="norra",
        database_url=sqlite,
        signing_key_id=key_id("norra"),
        signing_key_file=key_path(keys, "norra"),
    )
    return {
        "national-council": build_national(
            NationalSettings(database_url=sqlite, key_registry_file=registry)
        ),
        "regional-council": build_regional(regional),
        "notifications": build_notifications(NotificationSettings(database_url=sqlite)),
    }


@pytest.mark.parametrize("name", ["national-council", "regional-council", "notifications"])
def test_every_subscriber_acks_manually_after_the_transaction(name: str, tmp_path: Path) -> None:
    broker = _apps(tmp_path)[name].state.runtime.broker
    assert list(broker.subscribers), f"{name} declares no subscriber"
    assert commit_violations(broker) == []


def test_a_subscriber_with_the_default_policy_is_caught() -> None:
    broker = build_broker(KafkaSettings(), client_id="probe")

    @broker.subscriber("samverkan.norra.upstream", group_id="probe")
    async def careless(body: bytes) -> None: ...

    [violation] = commit_violations(broker)
    assert "ack_first" in violation
