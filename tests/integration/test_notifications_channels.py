"""Notifications on every channel, against a private service of its own (own Tansu, own
PostgreSQL database, a real SMTP server and a real HTTP receiver that verifies signatures)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from samverkan_shared.contracts import InformationRequested, IssueEscalated, ServiceLevelBreached
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_source
from samverkan_shared.signing import Signer, generate_key
from samverkan_shared.topics import downstream, upstream
from tests.infra import eventually, send
from tests.notifications_harness import NOW, Private, assessment, body_of, private_notifications

PUBLISHED = "se.samverkan.assessment.published.v1"
ESCALATED = "se.samverkan.issue.escalated.v1"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Private]:
    with private_notifications(
        tmp_path_factory.mktemp("notifications"),
        SAMVERKAN_DELIVERY_MAX_AGE_SECONDS="3",
    ) as private:
        yield private


@pytest.fixture
async def api(svc: Private) -> AsyncIterator[httpx.AsyncClient]:
    async with svc.client() as client:
        yield client


@pytest.fixture
async def producer(svc: Private) -> AsyncIterator[AIOKafkaProducer]:
    prod = AIOKafkaProducer(bootstrap_servers=svc.bootstrap, acks="all")
    await prod.start()
    try:
        yield prod
    finally:
        await prod.stop()


async def publish(producer: AIOKafkaProducer, items: list[tuple[str, Envelope]]) -> None:
    for topic, env in items:
        await send(producer, topic, env)


def escalation(region: str, title: str = "Brist på handledare") -> tuple[str, Envelope]:
    event = IssueEscalated(
        issue_id=uuid4(),
        region=region,
        title=title,
        summary="Handledarna räcker inte.",
        areas=["clinical-placement"],
        reason_not_regional="Gäller hela landet.",
        requested_outcome="En nationell plan.",
        escalated_at=NOW,
    )
    signer = Signer(f"{region}-test", generate_key())
    return upstream(region), signer.sign(Envelope.wrap(event, region_source(region)))


def request(region: str, question: str) -> tuple[str, Envelope]:
    event = InformationRequested(
        issue_id=uuid4(),
        region=region,
        national_reference=uuid4(),
        request_id=uuid4(),
        question=question,
        due_at=NOW,
    )
    return downstream(region), Envelope.wrap(event, NATIONAL_SOURCE)


def breach(region: str) -> tuple[str, Envelope]:
    event = ServiceLevelBreached(
        issue_id=uuid4(),
        region=region,
        national_reference=uuid4(),
        target="answer",
        due_at=NOW,
        breached_at=NOW,
    )
    return downstream(region), Envelope.wrap(event, NATIONAL_SOURCE)


async def person(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Anna", "email": f"{uuid4().hex[:8]}@example.se", **fields}
    created = await api.post("/subscribers", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def subscription(api: httpx.AsyncClient, sid: str, **filters: Any) -> dict[str, Any]:
    made = await api.post(f"/subscribers/{sid}/subscriptions", json=filters)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def deliveries(api: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/deliveries", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_email_in_swedish_and_english_with_one_click_unsubscribe(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    sv = await person(api, language="sv")
    en = await person(api, language="en")
    for who in (sv, en):
        await subscription(api, who["id"], regions=["sodra"], areas=["clinical-placement"])
    copies = assessment(["sodra", "vastra"], ["clinical-placement"], "VFU i södra och västra")
    await publish(producer, copies)  # two copies (one per region's topic), one logical event

    [swedish] = await eventually(lambda: _mail(svc, sv["email"]), bool, what="Swedish mail")
    [english] = await eventually(lambda: _mail(svc, en["email"]), bool, what="English mail")
    assert swedish["Subject"].startswith("[Samverkan] Nationell bedömning publicerad: VFU i")
    assert "Södra sjukvårdsregionen, Västra sjukvårdsregionen" in swedish["Subject"]
    assert english["Subject"].startswith("[Samverkan] Assessment published: VFU i")
    text, html = body_of(swedish, "plain"), body_of(swedish, "html")
    assert "Rekommendation:\nLärosäten och regioner tar fram en gemensam plan." in text
    assert "<h1" in html and "VFU i södra och västra" in html
    assert "Recommendation:" in body_of(english, "plain")
    link = swedish["List-Unsubscribe"].strip("<>")
    assert swedish["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text

    async with httpx.AsyncClient() as browser:  # no bearer token: the link is the key
        page = await browser.get(link)
        assert page.status_code == 200 and "<form" in page.text  # a GET changes nothing
        assert (await api.get(f"/subscribers/{sv['id']}")).json()["unsubscribed_at"] is None
        done = await browser.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200, done.text
        forged = await browser.post(link[:-3] + "xyz")
        assert forged.status_code == 422 and "token" in forged.text
    assert (await api.get(f"/subscribers/{sv['id']}")).json()["unsubscribed_at"] is not None

    await publish(producer, assessment(["sodra"], ["clinical-placement"], "Andra bedömningen"))
    await eventually(lambda: _mail(svc, en["email"]), lambda m: len(m) == 2, what="second mail")
    assert len(svc.mailbox.to(sv["email"])) == 1  # unsubscribed: nothing more
    [logged] = await eventually(
        lambda: deliveries(api, subscriber_id=sv["id"], status="sent"), bool, what="logged"
    )
    assert logged["attempts"] == 1
    assert logged["subject"] == swedish["Subject"]


async def test_default_rules_reach_regional_contacts_and_national_staff(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    member = await person(api, role="regional_member", region="norra")
    staff = await person(api, role="national_staff", language="en")
    await publish(
        producer,
        [
            request("norra", "Hur många platser saknas?"),
            request("sodra", "Inte till norra"),
            escalation("vastra", "Ny eskalering från västra"),
            breach("mellansverige"),
            *assessment(["norra"], ["doctoral-staff"], "Bedömning till norra"),
        ],
    )
    mails = await eventually(
        lambda: _mail(svc, member["email"]), lambda m: len(m) == 2, what="member's mail"
    )
    subjects = sorted(m["Subject"] for m in mails)
    assert "Begäran om information: Hur många platser saknas?" in subjects[0]
    assert "Bedömning till norra" in subjects[1]
    staff_mail = await eventually(
        lambda: _mail(svc, staff["email"]), lambda m: len(m) == 2, what="staff's mail"
    )
    kinds = sorted(m["Subject"].split(":")[0] for m in staff_mail)
    assert kinds == ["[Samverkan] Issue escalated", "[Samverkan] Service level breached"]
    await asyncio.sleep(1)
    assert len(svc.mailbox.to(member["email"])) == 2  # nothing addressed to sodra


async def test_signed_webhooks_verify_and_a_rotation_signs_with_both_secrets(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    name = uuid4().hex[:8]
    made = await api.post(
        "/subscribers",
        json={
            "kind": "system",
            "name": "Journalsystem Norra",
            "email": "it@norra.example",
            "webhook_url": f"{svc.receiver.url}/{name}",
        },
    )
    assert made.status_code == 201, made.text
    system = made.json()
    assert system["secret"].startswith("whsec_") and system["role"] == "system"
    hook = svc.receiver.hooks.setdefault(name, _hook(svc, name, system["secret"]))
    await subscription(api, system["id"], channel="webhook", regions=["norra"])
    first = escalation("norra", "Första")
    await publish(producer, [first])
    await eventually(lambda: _async(hook.received), lambda r: len(r) == 1, what="webhook")
    got = hook.received[0]
    assert got["payload"]["type"] == ESCALATED
    assert got["payload"]["data"]["event_id"] == first[1].id
    assert got["payload"]["data"]["event"]["title"] == "Första"
    [logged] = await eventually(
        lambda: deliveries(api, subscriber_id=system["id"], status="sent"), bool, what="logged"
    )
    assert got["id"] == logged["id"]  # the webhook-id is the delivery's id

    rotated = await api.post(f"/subscribers/{system['id']}/secret/rotate", json={})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    hook.secrets = [new]  # the receiver already switched: the new signature must be there
    await publish(producer, [escalation("norra", "Andra")])
    await eventually(lambda: _async(hook.received), lambda r: len(r) == 2, what="after rotation")
    second = hook.received[1]
    assert second["secret"] == new and second["signature"].count("v1,") == 2
    hook.secrets = [system["secret"]]  # ...and a receiver still on the old one verifies too
    await publish(producer, [escalation("norra", "Tredje")])
    await eventually(lambda: _async(hook.received), lambda r: len(r) == 3, what="old secret")
    assert hook.refused == 0


async def test_the_feed_lists_and_streams_over_server_sent_events(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    reader = await person(api, name="Feedläsare")
    await subscription(api, reader["id"], channel="feed", regions=["sydostra"])
    stream_url = reader["feed_url"]
    frames: list[dict[str, str]] = []

    async def follow() -> None:
        async with (
            httpx.AsyncClient(timeout=None) as page,  # a web page: no bearer token
            page.stream("GET", stream_url) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            frame: dict[str, str] = {}
            async for line in response.aiter_lines():
                if not line:
                    if "data" in frame:
                        frames.append(frame)
                    frame = {}
                    continue
                key, _, value = line.partition(": ")
                frame[key] = value

    task = asyncio.create_task(follow())
    try:
        await asyncio.sleep(0.5)
        await publish(producer, [escalation("sydostra", "Live i flödet")])
        await eventually(lambda: _async(frames), bool, what="an SSE frame", timeout=15)
    finally:
        task.cancel()
    item = json.loads(frames[0]["data"])
    assert frames[0]["event"] == "notification" and item["title"] == "Live i flödet"
    listed = await api.get(f"/subscribers/{reader['id']}/feed")
    assert [i["id"] for i in listed.json()] == [int(frames[0]["id"])]
    async with httpx.AsyncClient(base_url=svc.url) as anonymous:
        assert (await anonymous.get(f"/subscribers/{reader['id']}/feed")).status_code == 401
        other = await person(api)
        token = stream_url.split("token=")[1]
        denied = await anonymous.get(f"/subscribers/{other['id']}/feed", params={"token": token})
        assert denied.status_code == 401  # one subscriber's token opens only its own feed


def _hook(svc: Private, name: str, secret: str) -> Any:
    svc.receiver.add(name, secret)
    return svc.receiver.hooks[name]


async def _async(value: Any) -> Any:
    return value


async def _mail(svc: Private, address: str) -> list[Any]:
    return svc.mailbox.to(address)


async def test_a_failing_endpoint_is_retried_then_dead_paused_and_its_owner_told(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    name = uuid4().hex[:8]
    owner = f"owner-{name}@example.se"
    made = await api.post(
        "/subscribers",
        json={
            "kind": "system",
            "name": "Rapportverktyg",
            "email": owner,
            "webhook_url": f"{svc.receiver.url}/{name}",
            "language": "en",
        },
    )
    system = made.json()
    svc.receiver.add(name, system["secret"], status=503)
    hook = svc.receiver.hooks[name]
    await subscription(api, system["id"], channel="webhook", regions=["stockholm-gotland"])
    await publish(producer, [escalation("stockholm-gotland", "Misslyckas först")])

    # Temporary failures (503) are retried with backoff until the maximum age (3 s here).
    [dead] = await eventually(
        lambda: deliveries(api, subscriber_id=system["id"], status="dead"),
        lambda rows: len(rows) == 1,
        what="the delivery dead after its maximum age",
    )
    assert dead["attempts"] >= 3 and "HTTP 503" in dead["last_error"]
    paused = (await api.get(f"/subscribers/{system['id']}")).json()
    assert paused["status"] == "paused" and dead["id"] in paused["paused_reason"]
    [notice] = await eventually(lambda: _mail(svc, owner), bool, what="the owner's notice")
    assert notice["Subject"] == "[Samverkan] Webhook paused: Rapportverktyg"
    assert f"{svc.receiver.url}/{name}" in body_of(notice, "plain")

    # Paused: a new event waits (pending) instead of hammering the endpoint. Only the webhook
    # channel: the owner's notice may still read pending until its send is recorded.
    await publish(producer, [escalation("stockholm-gotland", "Väntar på paus")])
    waiting = await eventually(
        lambda: deliveries(api, subscriber_id=system["id"], status="pending", channel="webhook"),
        lambda rows: len(rows) == 1,
        what="a pending delivery behind the pause",
    )
    await asyncio.sleep(1)
    assert (await api.get(f"/deliveries/{waiting[0]['id']}")).json()["attempts"] == 0

    # The owner fixes the receiver; an operator resumes the endpoint and retries the dead one.
    hook.status = 204
    conflict = await api.post(f"/deliveries/{waiting[0]['id']}/retry")
    assert conflict.status_code == 409 and "pending" in conflict.text
    assert (await api.post(f"/subscribers/{system['id']}/resume")).status_code == 200
    again = await api.post(f"/deliveries/{dead['id']}/retry")
    assert again.status_code == 200 and again.json()["status"] == "pending"
    await eventually(lambda: _async(hook.received), lambda r: len(r) == 2, what="both sent")
    sent = await eventually(
        lambda: deliveries(api, subscriber_id=system["id"], status="sent", channel="webhook"),
        lambda rows: len(rows) == 2,
        what="both recorded as sent",
    )
    assert {d["id"] for d in sent} == {dead["id"], waiting[0]["id"]}
    assert [
        d["event_type"] for d in await deliveries(api, subscriber_id=system["id"], channel="email")
    ] == ["notifications.endpoint.paused"]
    assert (await api.post(f"/subscribers/{system['id']}/resume")).status_code == 409


async def test_a_daily_digest_is_sent_once_grouped_by_region_and_area_even_after_a_restart(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    reader = await person(api, name="Sammanfattning", delivery="daily", language="sv")
    await subscription(api, reader["id"], regions=["norra", "vastra"])
    await publish(
        producer,
        [
            escalation("norra", "Först i norra"),
            escalation("vastra", "Sedan i västra"),
            *assessment(["norra"], ["doctoral-staff"], "Bedömning om disputerade"),
        ],
    )
    held = await eventually(
        lambda: deliveries(api, subscriber_id=reader["id"], status="held"),
        lambda rows: len(rows) == 3,
        what="three deliveries held for the digest",
    )
    assert svc.mailbox.to(reader["email"]) == []  # nothing immediate
    ran = (await api.post("/digests/run")).json()
    assert ran["claimed"] >= 1 and ran["sent"] >= 1
    [digest] = await eventually(lambda: _mail(svc, reader["email"]), bool, what="the digest")
    text = body_of(digest, "plain")
    assert digest["Subject"].startswith(f"[Samverkan] Dagens sammanfattning {ran['day']}: 3")
    assert "== Norra sjukvårdsregionen · Verksamhetsförlagd utbildning (VFU) ==" in text
    assert "- Ärende eskalerat: Först i norra" in text
    assert "== Norra sjukvårdsregionen · Lärosätenas behov av disputerad personal ==" in text
    assert "== Västra sjukvårdsregionen · Verksamhetsförlagd utbildning (VFU) ==" in text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    logged = await eventually(
        lambda: deliveries(api, subscriber_id=reader["id"]),
        lambda rows: {d["status"] for d in rows} == {"sent"},
        what="the digest's deliveries recorded as sent",
    )
    assert len(logged) == len(held)
    assert len({d["digest_id"] for d in logged}) == 1

    # Later the same day: a new event waits for tomorrow; running again sends nothing.
    await publish(producer, [escalation("norra", "Samma dag, senare")])
    await eventually(
        lambda: deliveries(api, subscriber_id=reader["id"], status="held"),
        lambda rows: len(rows) == 1,
        what="a held delivery",
    )
    assert (await api.post("/digests/run")).json()["sent"] == 0
    svc.restart(signal.SIGTERM)  # a restart does not forget that today's digest went out
    async with svc.client() as fresh:
        assert (await fresh.post("/digests/run")).json()["sent"] == 0
        [row] = (await fresh.get("/digests", params={"subscriber_id": reader["id"]})).json()
        assert row["status"] == "sent" and row["items"] == 3
    assert len(svc.mailbox.to(reader["email"])) == 1


async def test_a_slow_or_failing_webhook_receiver_does_not_delay_email_to_others(
    svc: Private, api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    slow_name, failing_name = uuid4().hex[:8], uuid4().hex[:8]
    slow_hook = failing_hook = None
    for name, behaviour in ((slow_name, {"delay": 1.5}), (failing_name, {"status": 500})):
        system = (
            await api.post(
                "/subscribers",
                json={"kind": "system", "name": name, "webhook_url": f"{svc.receiver.url}/{name}"},
            )
        ).json()
        svc.receiver.add(name, system["secret"], **behaviour)
        await subscription(api, system["id"], channel="webhook", regions=["sodra"])
        if name == slow_name:
            slow_hook = svc.receiver.hooks[name]
        else:
            failing_hook = svc.receiver.hooks[name]
    readers = [await person(api) for _ in range(3)]
    for reader in readers:
        await subscription(api, reader["id"], regions=["sodra"], event_types=[ESCALATED])
    events = [escalation("sodra", f"Händelse {i}") for i in range(20)]
    started = asyncio.get_running_loop().time()
    await publish(producer, events)

    for reader in readers:
        await eventually(
            partial(_mail, svc, reader["email"]),
            lambda m: len(m) == 20,
            what="every mail to every reader",
            timeout=20,
        )
    elapsed = asyncio.get_running_loop().time() - started
    assert slow_hook is not None and failing_hook is not None
    # The slow receiver takes 1.5 s per webhook (30 s for all 20); the mail did not wait.
    assert len(slow_hook.received) < 10, (elapsed, len(slow_hook.received))
    assert elapsed < 25, elapsed  # the slow receiver alone needs 30 s for its 20
