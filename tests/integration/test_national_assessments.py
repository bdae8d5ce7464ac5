"""Linked escalations answered by one assessment; revisions, consultations, the operating plan."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

from tests.conftest import Network
from tests.infra import eventually
from tests.integration.national_helpers import escalate, regional_issue

ASSESSMENT = {
    "title": "Nationell bedömning av VFU",
    "summary": "Bristen är gemensam.",
    "recommendation": "Gemensam VFU-plan.",
    "areas": ["clinical-placement"],
}


async def _held(network: Network, region: str, assessment_id: str) -> list[dict[str, Any]]:
    async with network.client(f"regional-council.{region}") as client:
        rows = (await client.get("/assessments")).json()
    return sorted(
        (a for a in rows if a["assessment_id"] == assessment_id), key=lambda a: a["version"]
    )


async def test_one_assessment_answers_linked_escalations_from_two_regions_and_is_revised(
    network: Network,
) -> None:
    norra_id, norra_ref = await escalate(network, "norra")
    vastra_id, vastra_ref = await escalate(network, "vastra")
    async with network.client("national-council") as national:
        linked = await national.post(f"/issues/{norra_ref}/links", json={"issue_id": vastra_ref})
        assert linked.status_code == 200 and linked.json()["linked_issues"] == [vastra_ref]

        draft = await national.post(
            "/assessment-drafts",
            json={**ASSESSMENT, "regions": ["sydostra"], "answers": [norra_ref]},
        )
        assert draft.status_code == 201, draft.text
        edited = await national.put(
            f"/assessment-drafts/{draft.json()['id']}",
            json={
                **ASSESSMENT,
                "summary": "Bristen är gemensam för flera regioner.",
                "regions": ["sydostra"],
                "answers": [norra_ref],
            },
        )
        assert edited.json()["summary"].endswith("flera regioner.")
        states = [
            (await national.get(f"/issues/{r}")).json()["state"] for r in (norra_ref, vastra_ref)
        ]
        assert states == ["received", "received"]  # a draft changes nothing

        published = await national.post(f"/assessment-drafts/{draft.json()['id']}/publish")
        assert published.status_code == 201, published.text
        result = published.json()
        assert sorted(result["answers"]) == sorted([norra_ref, vastra_ref])
        assert result["addressed_regions"] == ["norra", "sydostra", "vastra"]
        twice = await national.post(f"/assessment-drafts/{draft.json()['id']}/publish")
        assert twice.status_code == 409 and "'published'" in twice.json()["detail"]
        for ref in (norra_ref, vastra_ref):
            issue = (await national.get(f"/issues/{ref}")).json()
            assert issue["state"] == "assessed" and issue["assessments"] == [result["id"]]

        revised = await national.post(
            f"/assessments/{result['id']}/revisions",
            json={
                **ASSESSMENT,
                "recommendation": "Gemensam VFU-plan från 2027.",
                "change_note": "Startår angivet.",
            },
        )
        assert revised.status_code == 201, revised.text
        assert revised.json()["version"] == 2
        assert revised.json()["fingerprint"] != result["fingerprint"]
        no_note = await national.post(f"/assessments/{result['id']}/revisions", json=ASSESSMENT)
        assert no_note.status_code == 422

    for region, regional_id in (("norra", norra_id), ("vastra", vastra_id)):
        await eventually(
            partial(regional_issue, network, region, regional_id),
            lambda issue: issue["state"] == "answered" and issue["national_state"] == "assessed",
            what=f"{region}'s issue answered",
        )
    for region in ("norra", "vastra", "sydostra"):
        v1, v2 = await eventually(
            partial(_held, network, region, result["id"]),
            lambda rows: len(rows) == 2,
            what=f"{region} holds both versions",
        )
        assert (v1["fingerprint"], v2["fingerprint"]) == (
            result["fingerprint"],
            revised.json()["fingerprint"],
        )
        assert v2["change_note"] == "Startår angivet."
    assert await _held(network, "sodra", result["id"]) == []


async def test_a_consultation_collects_views_and_ends_in_a_summary_assessment(
    network: Network,
) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=6)
    async with network.client("national-council") as national:
        opened = await national.post(
            "/consultations",
            json={
                "question": "Hur bör VFU dimensioneras?",
                "areas": ["clinical-placement"],
                "regions": ["sodra", "stockholm-gotland"],
                "deadline": deadline.isoformat(),
            },
        )
        assert opened.status_code == 201, opened.text
        cid = opened.json()["id"]
        async with network.client("regional-council.sodra") as sodra:
            await eventually(
                lambda: sodra.get("/consultations"),
                lambda r: any(c["id"] == cid for c in r.json()),
                what="sodra received the consultation",
            )
            answered = await sodra.post(
                f"/consultations/{cid}/respond", json={"views": "Fler platser."}
            )
            assert answered.status_code == 200, answered.text
        seen = await eventually(
            lambda: national.get(f"/consultations/{cid}"),
            lambda r: r.json()["responses"][1]["views"] is not None,
            what="sodra's views at national",
        )
        side_by_side = [(r["region"], r["views"]) for r in seen.json()["responses"]]
        assert side_by_side == [("stockholm-gotland", None), ("sodra", "Fler platser.")]

        summary = {
            "title": "Sammanfattning",
            "summary": "En region svarade.",
            "recommendation": "Öka VFU.",
        }
        early = await national.post(f"/consultations/{cid}/summary", json=summary)
        assert early.status_code == 409 and "'open'" in early.json()["detail"]
        await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.5)
        concluded = await national.post(f"/consultations/{cid}/summary", json=summary)
        assert concluded.status_code == 201, concluded.text
        assert concluded.json()["addressed_regions"] == ["stockholm-gotland", "sodra"]
        state = (await national.get(f"/consultations/{cid}")).json()
    assert (state["state"], state["summary_assessment_id"]) == ("concluded", concluded.json()["id"])
    await eventually(
        lambda: _held(network, "stockholm-gotland", concluded.json()["id"]),
        lambda rows: len(rows) == 1,
        what="the summary reached stockholm-gotland",
    )


async def test_operating_plan_areas_become_valid_at_national_and_regions(
    network: Network,
) -> None:
    code = f"digital-{uuid4().hex[:6]}"
    body = {
        "title": "Digital kompetens",
        "summary": "Saknas.",
        "areas": [code],
        "reason_not_regional": "Nationellt.",
        "requested_outcome": "Bedömning.",
    }
    async with network.client("regional-council.sydostra") as region:
        before = await region.post("/escalations", json=body)
        assert before.status_code == 422 and before.json()["detail"][0]["loc"][:2] == [
            "body",
            "areas",
        ]
    async with network.client("national-council") as national:
        plan = await national.post(
            "/operating-plans",
            json={"year": 2027, "focus_areas": [{"code": code, "name": "Digital kompetens"}]},
        )
        assert plan.status_code == 201, plan.text
        areas = {a["code"]: a["source"] for a in (await national.get("/areas")).json()}
        assert areas[code] == "operating-plan" and areas["clinical-placement"] == "base"

    async def accepted() -> int:
        async with network.client("regional-council.sydostra") as region:
            return (await region.post("/escalations", json=body)).status_code

    await eventually(accepted, lambda status: status == 201, what="sydostra accepts the plan area")
    async with network.client("national-council") as national:
        rows = await eventually(
            lambda: national.get("/issues", params={"area": code}),
            lambda r: len(r.json()) == 1,
            what="the issue in the national queue under the plan area",
        )
        ref = rows.json()[0]["id"]
        ok = await national.post(f"/issues/{ref}/triage", json={"areas": [code, "doctoral-staff"]})
        assert ok.status_code == 200
        bad = await national.post(f"/issues/{ref}/triage", json={"areas": ["astrology"]})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "areas", 0]
