"""National staff work the queue: lifecycle, 409s, audit trail, events to the region, search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from tests.conftest import Network
from tests.infra import eventually
from tests.integration.national_helpers import downstream_events, escalate, regional_issue

REGION = "mellansverige"
PROGRESSED = "se.samverkan.issue.progressed.v1"


async def test_an_issue_walks_the_lifecycle_with_an_audit_trail_and_events(
    network: Network,
) -> None:
    regional_id, ref = await escalate(network, REGION, urgency="high")
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    async with network.client("national-council") as national:
        fresh = (await national.get(f"/issues/{ref}")).json()
        assert (fresh["state"], fresh["priority"]) == ("received", "high")
        assert fresh["sla"]["acknowledge"]["seconds_left"] > 0

        triaged = await national.post(
            f"/issues/{ref}/triage",
            json={
                "priority": "critical",
                "areas": ["clinical-placement", "doctoral-staff"],
                "assignee": "lena",
                "reason": "Berör flera lärosäten",
            },
        )
        assert triaged.status_code == 200, triaged.text
        body = triaged.json()
        assert (body["state"], body["priority"], body["assignee"]) == (
            "triaged",
            "critical",
            "lena",
        )
        assert body["acknowledged_at"] is not None and body["sla"]["acknowledge"]["met_at"]

        started = await national.post(f"/issues/{ref}/start-assessment", json={})
        assert started.json()["state"] == "in_assessment"
        asked = await national.post(
            f"/issues/{ref}/information-requests", json={"question": "Hur många?", "due_at": due}
        )
        assert asked.status_code == 201 and asked.json()["state"] == "awaiting_region"
        assert asked.json()["sla"]["paused"] is True

        refused = await national.post(f"/issues/{ref}/close", json={"text": "Klart."})
        assert refused.status_code == 409
        assert "'awaiting_region'" in refused.json()["detail"]

        declined = await national.post(f"/issues/{ref}/decline", json={"text": "Lös regionalt."})
        assert declined.json()["state"] == "declined"
        again = await national.post(f"/issues/{ref}/triage", json={"priority": "low"})
        assert again.status_code == 409 and "'declined'" in again.json()["detail"]
        trail = (await national.get(f"/issues/{ref}")).json()["transitions"]

    steps = [(t["from_state"], t["to_state"], t["actor"]) for t in trail]
    assert steps == [
        (None, "received", f"region:{REGION}"),
        ("received", "triaged", "operator"),
        ("triaged", "in_assessment", "operator"),
        ("in_assessment", "awaiting_region", "operator"),
        ("awaiting_region", "declined", "operator"),
    ]
    assert trail[1]["reason"].startswith("triaged: priority critical")
    assert trail[4]["reason"] == "Lös regionalt." and all(t["at"] for t in trail)

    # The region heard of every step: progressed (triaged, in_assessment), requested, declined.
    events = await eventually(
        lambda: downstream_events(network, REGION, PROGRESSED, national_reference=ref),
        lambda found: len(found) == 2,
        what="two issue.progressed events",
    )
    assert [e["to_state"] for e in events] == ["triaged", "in_assessment"]
    issue = await eventually(
        lambda: regional_issue(network, REGION, regional_id),
        lambda i: i["state"] == "open" and i["national_state"] == "declined",
        what="the region sees the decline",
    )
    assert issue["guidance"] == "Lös regionalt."


async def test_claiming_and_reassigning_are_audited_and_a_taken_issue_is_409(
    network: Network,
) -> None:
    _, ref = await escalate(network, REGION)
    async with network.client("national-council") as national:
        claimed = await national.post(f"/issues/{ref}/claim")
        assert claimed.json()["assignee"] == "operator"
        moved = await national.post(
            f"/issues/{ref}/assign", json={"assignee": "karin", "reason": "Karin äger VFU"}
        )
        assert moved.json()["assignee"] == "karin"
        taken = await national.post(f"/issues/{ref}/claim")
        assert taken.status_code == 409 and "'karin'" in taken.json()["detail"]
        bad = await national.post(f"/issues/{ref}/assign", json={"assignee": "Karin!"})
        assert bad.status_code == 422
        assert {tuple(e["loc"])[-1] for e in bad.json()["detail"]} >= {"assignee", "reason"}
        trail = (await national.get(f"/issues/{ref}")).json()["transitions"]
    actions = [(t["action"], t["reason"]) for t in trail[1:]]
    assert actions == [
        ("claim", "claimed by operator"),
        ("assign", "assigned to karin (was operator) — Karin äger VFU"),
    ]


async def test_filters_search_and_keyset_pages(network: Network) -> None:
    word = f"kvot{uuid4().hex[:6]}"
    refs = [
        (await escalate(network, region, title=f"Brist {word} nummer {n}"))[1]
        for n, region in enumerate(["norra", "sodra", "sodra"])
    ]
    async with network.client("national-council") as national:
        await national.post(f"/issues/{refs[2]}/triage", json={"priority": "critical"})

        async def ids(**params: Any) -> list[str]:
            response = await national.get("/issues", params={"q": word, **params})
            assert response.status_code == 200, response.text
            return [i["id"] for i in response.json()]

        assert await ids() == refs
        assert await ids(region="sodra") == refs[1:]
        assert await ids(priority="critical") == [refs[2]]
        assert await ids(state="triaged") == [refs[2]]
        assert await ids(sort="-received_at") == refs[::-1]
        assert await ids(assignee="none") == refs
        assert await ids(overdue="true") == []
        assert await ids(area="doctoral-staff") == []

        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {
                "q": word,
                "limit": 2,
                **({"cursor": cursor} if cursor else {}),
            }
            page = await national.get("/issues", params=params)
            seen += [i["id"] for i in page.json()]
            cursor = page.headers.get("X-Next-Cursor")
            if cursor is None:
                break
        assert seen == refs
        wrong = await national.get("/issues", params={"cursor": "bm9wZQ", "sort": "priority"})
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "cursor"]
        unknown = await national.get("/issues", params={"sort": "title"})
        assert unknown.status_code == 422
