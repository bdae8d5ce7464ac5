"""No subscriber may use FastStream's default Kafka ack policy (commit before the handler),
nor take a FastStream context parameter (a thread hop for every batch)."""

from __future__ import annotations

import gc
import threading
import typing
import weakref
from pathlib import Path
from typing import Any

import pytest
from fast_depends.library import CustomField
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from devstack.keys import ensure_keys, key_id, key_path
from national_council.bootstrap import build as build_national
from national_council.settings import NationalSettings
from notifications.bootstrap import build as build_notifications
from notifications.settings import NotificationSettings
from regional_council.bootstrap import build as build_regional
from regional_council.settings import RegionalSettings
from samverkan_shared.kafka import Fetched, build_broker, commit_violations, raw_records
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


def _context_parameters(broker: KafkaBroker) -> list[str]:
    """Handler parameters FastStream resolves from its context (``Annotated[..., Context()]``).

    fast_depends looks each one up with a synchronous call that it runs on a worker thread:
    one thread hop for every batch (README, eighth round).
    """
    found = []
    for subscriber in broker.subscribers:
        for call in subscriber.calls:
            handler = call.handler._original_call
            hints = typing.get_type_hints(handler, include_extras=True)
            found += [
                f"{handler.__name__}({name})"
                for name, hint in hints.items()
                if any(isinstance(m, CustomField) for m in getattr(hint, "__metadata__", ()))
            ]
    return found


@pytest.mark.parametrize("name", ["national-council", "regional-council", "notifications"])
def test_no_subscriber_takes_a_context_parameter(name: str, tmp_path: Path) -> None:
    broker = _apps(tmp_path)[name].state.runtime.broker
    assert _context_parameters(broker) == []


def test_a_context_parameter_is_caught() -> None:
    broker = build_broker(KafkaSettings(), client_id="probe")

    @broker.subscriber("samverkan.norra.upstream", group_id="probe")
    async def hopping(msg: KafkaMessage) -> None: ...

    assert _context_parameters(broker) == ["hopping(msg)"]


async def test_raw_records_hands_over_the_records_on_the_event_loop_thread() -> None:
    broker = KafkaBroker()
    seen: list[tuple[list[bytes], str]] = []

    @broker.subscriber("samverkan.norra.upstream", batch=True, decoder=raw_records)
    async def handle(body: Any) -> None:
        fetched: Fetched = body
        assert fetched.consumer is not None
        seen.append(([r.value for r in fetched.records], threading.current_thread().name))

    async with TestKafkaBroker(broker) as running:
        threads = threading.active_count()
        await running.publish_batch(b"{not json", b"{}", topic="samverkan.norra.upstream")
        assert threading.active_count() == threads  # no worker thread was started for it

    assert seen == [([b"{not json", b"{}"], threading.main_thread().name)]


async def _the_message_itself(message: Any) -> Any:
    return message


@pytest.mark.parametrize(("decoder", "freed"), [(raw_records, True), (_the_message_itself, False)])
async def test_a_handled_batch_is_freed_at_once(decoder: Any, freed: bool) -> None:
    """FastStream caches the decoded body on its message: were that the message itself, each
    batch (its records with it) would wait for the cycle collector to be freed."""
    message = StreamMessage(raw_message=(b"record",), body=b"", headers={})
    message.set_decoder(decoder)
    await message.decode()
    gone = weakref.ref(message)
    gc.disable()
    try:
        del message
        assert (gone() is None) is freed
    finally:
        gc.enable()
