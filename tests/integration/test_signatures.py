"""The national council applies only what the source region's valid key signed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer

from samverkan_shared.envelope import Envelope, region_source, to_kafka
from samverkan_shared.topics import upstream
from tests.conftest import Network
from tests.infra import dead_letters, escalated, eventually, national_queue, send

REGION = "norra"


def _envelope(issue_id: UUID) -> Envelope:
    # The title is what _tampered changes after signing.
    event = escalated(REGION, issue_id, title="Klinisk forskning i primärvården")
    return Envelope.wrap(event, region_source(REGION))


async def _in_queue(network: Network, issue_id: UUID) -> list[dict[str, Any]]:
    async with network.client("national-council") as client:
        rows = await national_queue(client, region=REGION)
    return [r for r in rows if r["regional_issue_id"] == str(issue_id)]


async def _parked(network: Network, event_id: str) -> list[dict[str, str]]:
    return await dead_letters(network.bootstrap, upstream(REGION), "national-council", event_id)


def _unsigned(network: Network, env: Envelope) -> Envelope:
    return env


def _other_regions_key(network: Network, env: Envelope) -> Envelope:
    return network.signer("sodra").sign(env)


def _tampered(network: Network, env: Envelope) -> Envelope:
    signed = network.signer(REGION).sign(env)
    return replace(signed, data=signed.data.replace("primärvården".encode(), "tandvården".encode()))


@pytest.mark.parametrize(
    ("forge", "error"),
    [
        (_unsigned, "not signed"),
        (_other_regions_key, "belongs to 'sodra'"),
        (_tampered, "does not match the content"),
    ],
    ids=["unsigned", "another-regions-key", "tampered-after-signing"],
)
async def test_a_badly_signed_escalation_is_parked_not_queued(
    network: Network, producer: AIOKafkaProducer, forge: Any, error: str
) -> None:
    issue_id = uuid4()
    env = forge(network, _envelope(issue_id))
    await send(producer, upstream(REGION), env)
    [letter] = await eventually(
        lambda: _parked(network, env.id), lambda found: len(found) == 1, what="parked"
    )
    assert letter["dlq-reason"] == "bad-signature"
    assert error in letter["dlq-error"]
    assert await _in_queue(network, issue_id) == []


async def test_a_properly_signed_escalation_is_queued(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    await send(producer, upstream(REGION), network.signer(REGION).sign(_envelope(issue_id)))
    await eventually(
        lambda: _in_queue(network, issue_id), lambda rows: len(rows) == 1, what="queued"
    )


async def test_a_forged_escalation_among_many_is_parked_and_the_rest_are_queued(
    network: Network, producer: AIOKafkaProducer
) -> None:
    """Sent together they arrive as batches, whose signatures are checked on worker threads."""
    good = [uuid4() for _ in range(24)]
    forged_id = uuid4()
    signer = network.signer(REGION)
    envelopes = [signer.sign(_envelope(i)) for i in good]
    forged = _tampered(network, _envelope(forged_id))
    envelopes.insert(len(envelopes) // 2, forged)
    sent = []
    for env in envelopes:  # without waiting for each: the consumer sees them in batches
        record = to_kafka(env)
        sent.append(
            await producer.send(
                upstream(REGION), record.value, key=record.key, headers=record.headers
            )
        )
    for ack in sent:
        await ack

    async def queued() -> set[str]:
        async with network.client("national-council") as client:
            rows = await national_queue(client, region=REGION)
        return {r["regional_issue_id"] for r in rows}

    found = await eventually(
        queued, lambda ids: {str(i) for i in good} <= ids, what="the 24 signed ones queued"
    )
    assert str(forged_id) not in found
    [letter] = await eventually(
        lambda: _parked(network, forged.id), lambda found: len(found) == 1, what="parked"
    )
    assert letter["dlq-error"] == "ce_signature: does not match the content"
