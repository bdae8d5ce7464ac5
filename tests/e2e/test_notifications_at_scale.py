"""1,000 events to 50 subscribers: exactly the expected deliveries, counted where they arrive
(a real SMTP server and a real webhook receiver), with a kill -9 of the service in the middle.

The service runs as its own process with its own broker and database; the events are
produced directly onto the topics, as the regional (signed) and national services do.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from samverkan_shared.contracts import InformationRequested, IssueEscalated
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_source, to_kafka
from samverkan_shared.registry import load_regions
from samverkan_shared.signing import Signer, generate_key
from samverkan_shared.topics import downstream, upstream
from tests.infra import eventually
from tests.notifications_harness import NOW, Private, private_notifications

pytestmark = pytest.mark.e2e

ESCALATED = "se.samverkan.issue.escalated.v1"
REQUESTED = "se.samverkan.information.requested.v1"
AREAS = ["clinical-placement", "continuing-education", "doctoral-staff"]
EVENTS = 1000
PEOPLE, SYSTEMS = 40, 10


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Private]:
    with private_notifications(
        tmp_path_factory.mktemp("scale"),
        SAMVERKAN_CLAIM_LEASE_SECONDS="5",
        SAMVERKAN_EMAIL_CONCURRENCY="6",
    ) as private:
        yield private


def events() -> list[tuple[str, Envelope, dict[str, Any]]]:
    """Half escalations (signed, upstream), half information requests (downstream)."""
    regions = [r.code for r in load_regions()]
    signers = {r: Signer(f"{r}-scale", generate_key()) for r in regions}
    out = []
    for i in range(EVENTS):
        region = regions[i % len(regions)]
        if i % 2 == 0:
            areas = [AREAS[(i // 2) % len(AREAS)]]
            event: Any = IssueEscalated(
                issue_id=uuid4(),
                region=region,
                title=f"Eskalering {i}",
                summary="Underlag.",
                areas=areas,
                reason_not_regional="Nationellt.",
                requested_outcome="Bedömning.",
                escalated_at=NOW,
            )
            env = signers[region].sign(Envelope.wrap(event, region_source(region)))
            out.append(
                (upstream(region), env, {"region": region, "type": ESCALATED, "areas": areas})
            )
        else:
            event = InformationRequested(
                issue_id=uuid4(),
                region=region,
                national_reference=uuid4(),
                request_id=uuid4(),
                question=f"Fråga {i}",
                due_at=NOW,
            )
            env = Envelope.wrap(event, NATIONAL_SOURCE)
            out.append(
                (downstream(region), env, {"region": region, "type": REQUESTED, "areas": []})
            )
    return out


def subscriptions() -> list[dict[str, Any]]:
    """50 subscribers with different filters: by region, type and area."""
    regions = [r.code for r in load_regions()]
    subs = []
    for i in range(PEOPLE):
        filters: dict[str, Any] = {"regions": [regions[i % len(regions)]]}
        if i % 3 == 0:
            filters["event_types"] = [ESCALATED]
        elif i % 3 == 1:
            filters["event_types"] = [REQUESTED]
        else:
            filters["areas"] = [AREAS[i % len(AREAS)]]
        subs.append({"kind": "person", "email": f"p{i}-{uuid4().hex[:6]}@example.se", **filters})
    for j in range(SYSTEMS):
        subs.append(
            {
                "kind": "system",
                "name": f"s{j}-{uuid4().hex[:6]}",
                "regions": [regions[j % len(regions)]],
                "event_types": [ESCALATED],
            }
        )
    return subs


def wanted(sub: dict[str, Any], event: dict[str, Any]) -> bool:
    return (
        event["region"] in sub["regions"]
        and (not sub.get("event_types") or event["type"] in sub["event_types"])
        and (not sub.get("areas") or bool(set(sub["areas"]) & set(event["areas"])))
    )


async def test_1000_events_to_50_subscribers_exactly_once_through_a_kill_9(svc: Private) -> None:
    batch = events()
    subs = subscriptions()
    expected = {i: sum(wanted(s, e) for _, _, e in batch) for i, s in enumerate(subs)}
    total = sum(expected.values())
    async with svc.client() as api:
        for i, sub in enumerate(subs):
            await _register(api, svc, sub, i)

    producer = AIOKafkaProducer(bootstrap_servers=svc.bootstrap, acks="all", linger_ms=20)
    await producer.start()
    started = time.monotonic()
    try:
        for topic, env, _ in batch:
            record = to_kafka(env)
            await producer.send(topic, record.value, key=record.key, headers=record.headers)
        await producer.flush()
    finally:
        await producer.stop()

    # Kill -9 in the middle: once about a third has arrived.
    await eventually(lambda: _arrived(svc), lambda n: n >= total // 3, timeout=180, what="a third")
    at_kill, killed_after = _arrived_now(svc), time.monotonic() - started
    svc.restart(signal.SIGKILL)
    back_after = time.monotonic() - started
    await eventually(lambda: _arrived(svc), lambda n: n >= total, timeout=300, what="everything")
    elapsed = time.monotonic() - started
    await asyncio.sleep(3)  # anything extra would arrive now

    mail_ids = svc.mailbox.ids()
    hook_ids: Counter[str] = Counter()
    for sub in subs:
        if sub["kind"] == "system":
            hook_ids.update(r["id"] for r in svc.receiver.hooks[sub["hook"]].received)
    for i, sub in enumerate(subs):  # per subscriber: exactly the events it asked for
        if sub["kind"] == "person":
            got = {str(m["Message-ID"]) for m in svc.mailbox.to(sub["email"])}
        else:
            got = {r["id"] for r in svc.receiver.hooks[sub["hook"]].received}
        assert len(got) == expected[i], (sub, len(got), expected[i])
    async with svc.client() as api:
        sent = await _all_deliveries(api)
    assert len(sent) == total and {d["status"] for d in sent} == {"sent"}
    assert {f"<{d['id']}@samverkan>" for d in sent if d["channel"] == "email"} == set(mail_ids)
    assert {d["id"] for d in sent if d["channel"] == "webhook"} == set(hook_ids)
    resent = sum(mail_ids.values()) - len(mail_ids) + sum(hook_ids.values()) - len(hook_ids)
    print(
        f"\n{EVENTS} events, {len(subs)} subscribers: {total} deliveries expected; "
        f"{len(mail_ids)} distinct mails, {len(hook_ids)} distinct webhooks; "
        f"kill -9 at {killed_after:.1f} s after {at_kill} arrived, ready again at "
        f"{back_after:.1f} s; resent after the kill (same id): {resent}; all in {elapsed:.1f} s"
    )
    # At-least-once across a crash: what the dead process had sent but not yet recorded
    # is sent again under the same Message-ID / webhook-id, never as a new delivery.
    # Unwritten at the kill: the flush being written and the one filling (the lanes wait when
    # it is full), each with the sends in flight.
    assert resent <= 2 * (6 + SYSTEMS + 50), resent


async def _register(api: httpx.AsyncClient, svc: Private, sub: dict[str, Any], i: int) -> None:
    if sub["kind"] == "person":
        body = {"name": f"Person {i}", "email": sub["email"], "default_rules": False}
        channel = "email"
    else:
        sub["hook"] = sub["name"]
        body = {
            "kind": "system",
            "name": sub["name"],
            "webhook_url": f"{svc.receiver.url}/{sub['name']}",
        }
        channel = "webhook"
    made = await api.post("/subscribers", json=body)
    assert made.status_code == 201, made.text
    if sub["kind"] == "system":
        svc.receiver.add(sub["name"], made.json()["secret"])
    filters = {k: sub[k] for k in ("regions", "areas", "event_types") if k in sub}
    added = await api.post(
        f"/subscribers/{made.json()['id']}/subscriptions", json={**filters, "channel": channel}
    )
    assert added.status_code == 201, added.text


def _arrived_now(svc: Private) -> int:
    hooks = sum(len(h.received) for h in svc.receiver.hooks.values())
    return len(svc.mailbox.ids()) + hooks


async def _arrived(svc: Private) -> int:
    return _arrived_now(svc)


async def _all_deliveries(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = await api.get("/deliveries", params={"limit": 500, "offset": len(rows)})
        assert page.status_code == 200, page.text
        rows += page.json()
        if len(page.json()) < 500:
            return rows
