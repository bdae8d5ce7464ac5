"""Inbox and dead letter, proven on the real broker and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from samverkan_shared.contracts import EscalationAmended, InformationRequested
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_source, to_kafka
from samverkan_shared.topics import dead_letter, downstream, upstream
from tests.conftest import Network
from tests.infra import dead_letters, escalated, eventually, national_queue, read_topic, send


async def _national_issues_for(network: Network, regional_id: str) -> list[dict[str, Any]]:
    async with network.client("national-council") as client:
        rows = await national_queue(client)
    return [r for r in rows if r["regional_issue_id"] == regional_id]


async def test_the_same_event_delivered_twice_has_one_effect(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    env = network.signer("vastra").sign(
        Envelope.wrap(escalated("vastra", issue_id), region_source("vastra"))
    )
    await send(producer, upstream("vastra"), env)
    await send(producer, upstream("vastra"), env)  # a redelivery: same source, same id
    # A later event of the same issue shares the partition, so once it is applied the
    # duplicate before it has certainly been read.
    marker = EscalationAmended(
        issue_id=issue_id,
        region="vastra",
        amendment="Mer underlag bifogas.",
        amended_at=datetime.now(UTC),
    )
    signed = network.signer("vastra").sign(Envelope.wrap(marker, region_source("vastra")))
    await send(producer, upstream("vastra"), signed)

    async def detail() -> dict[str, Any] | None:
        rows = await _national_issues_for(network, str(issue_id))
        if not rows:
            return None
        async with network.client("national-council") as client:
            return dict((await client.get(f"/issues/{rows[0]['id']}")).json())

    issue = await eventually(
        detail, lambda d: bool(d and d["amendments"]), what="amendment applied"
    )
    assert issue is not None
    assert len(await _national_issues_for(network, str(issue_id))) == 1
    assert [t["to_state"] for t in issue["transitions"]] == ["received"]


async def test_poison_goes_to_the_dead_letter_and_the_partition_moves_on(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    key = str(issue_id).encode()
    good = network.signer("mellansverige").sign(
        Envelope.wrap(escalated("mellansverige", issue_id), region_source("mellansverige"))
    )
    record = to_kafka(good)
    topic = upstream("mellansverige")
    poison_id = str(uuid4())
    malformed = [(k, poison_id.encode() if k == "ce_id" else v) for k, v in record.headers]
    await producer.send_and_wait(topic, b"{not json", key=key, headers=malformed)
    unknown = [
        (
            k,
            b"se.samverkan.nonsense.v1"
            if k == "ce_type"
            else (b"u-" + poison_id.encode() if k == "ce_id" else v),
        )
        for k, v in record.headers
    ]
    await producer.send_and_wait(topic, record.value, key=key, headers=unknown)
    missing_summary = json.loads(record.value)
    del missing_summary["summary"]
    invalid = [(k, b"s-" + poison_id.encode() if k == "ce_id" else v) for k, v in record.headers]
    await producer.send_and_wait(
        topic, json.dumps(missing_summary).encode(), key=key, headers=invalid
    )
    await send(producer, topic, good)  # same key, same partition: behind the three poisons

    await eventually(
        lambda: _national_issues_for(network, str(issue_id)),
        lambda rows: len(rows) == 1,
        what="the valid event after the poison is applied",
    )

    async def parked() -> dict[str, dict[str, str]]:
        out = {}
        for rec in await read_topic(network.bootstrap, dead_letter(topic), idle=0.5):
            h = {k: v.decode() for k, v in rec.headers}
            if h.get("dlq-consumer") == "national-council" and poison_id in h.get("ce_id", ""):
                out[h["ce_id"]] = h
        return out

    letters = await eventually(parked, lambda found: len(found) == 3, what="three dead letters")
    assert letters[poison_id]["dlq-reason"] == "contract-violation"
    assert "not JSON" in letters[poison_id]["dlq-error"]
    assert letters["u-" + poison_id]["dlq-reason"] == "unknown-type"
    assert letters["s-" + poison_id]["dlq-reason"] == "contract-violation"
    assert "summary" in letters["s-" + poison_id]["dlq-error"]
    assert letters["s-" + poison_id]["dlq-topic"] == topic


async def test_an_event_claiming_another_region_is_dead_lettered(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    forged = network.signer("sodra").sign(  # validly signed by sodra, but on norra's topic
        Envelope.wrap(escalated("sodra", issue_id), region_source("sodra"))
    )
    await send(producer, upstream("norra"), forged)  # sodra's event on norra's topic

    [letter] = await eventually(
        lambda: dead_letters(network.bootstrap, upstream("norra"), "national-council", forged.id),
        lambda found: len(found) == 1,
        what="forged event parked",
    )
    assert letter["dlq-reason"] == "rejected"
    assert await _national_issues_for(network, str(issue_id)) == []


async def test_a_region_refuses_what_is_addressed_to_another_region(
    network: Network, producer: AIOKafkaProducer
) -> None:
    """A message on norra's downstream topic that names sodra is parked, not applied."""
    regional_id = uuid4()
    misaddressed = InformationRequested(
        issue_id=regional_id,
        region="sodra",
        national_reference=uuid4(),
        request_id=uuid4(),
        question="Fel region?",
        due_at=datetime.now(UTC),
    )
    env = Envelope.wrap(misaddressed, NATIONAL_SOURCE)
    await send(producer, downstream("norra"), env)

    [letter] = await eventually(
        lambda: dead_letters(
            network.bootstrap, downstream("norra"), "regional-council.norra", env.id
        ),
        lambda found: len(found) == 1,
        what="misaddressed parked",
    )
    assert letter["dlq-reason"] == "rejected"
    assert "not to 'norra'" in letter["dlq-error"]
