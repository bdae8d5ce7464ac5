"""Every write of the national HTTP API refuses a role too low, and the refusal changes nothing.

The table below names each unsafe route with the role it needs; the first test checks it
against the service's own OpenAPI document, so a new route without a row here fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.national_app import TIMEOUT, NationalApp

ROLES = ["reader", "triager", "assessor", "admin"]
# Rows whose count must not move when a request is refused.
TABLES = [
    "issues",
    "transitions",
    "information_requests",
    "issue_areas",
    "assessments",
    "assessment_links",
    "assessment_drafts",
    "consultations",
    "operating_plans",
    "plan_areas",
    "staff_accounts",
    "staff_tokens",
    "outbox",
]


@dataclass
class World:
    """What the denied requests aim at: an issue, an assessment, a draft, a consultation."""

    issue: str
    other_issue: str
    assessment: str
    draft: str
    consultation: str
    victim: str
    victim_token_id: str
    tokens: dict[str, tuple[str, str]]  # role -> (username, token)


def _assessment(issue: str | None = None) -> dict[str, Any]:
    return {
        "title": "Nationell bedömning",
        "summary": "Bristen finns i flera regioner.",
        "recommendation": "En gemensam plan.",
        "areas": ["clinical-placement"],
        "answers": [issue] if issue else [],
    }


def _requests(w: World) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(method, path, role needed, a body the role needed would have accepted)."""
    due = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    i = f"/issues/{w.issue}"
    return [
        ("POST", f"{i}/triage", "triager", {"priority": "critical", "reason": "x"}),
        ("POST", f"{i}/claim", "triager", None),
        ("POST", f"{i}/assign", "triager", {"assignee": "someone", "reason": "semester"}),
        ("POST", f"{i}/start-assessment", "triager", {"reason": "börjar"}),
        ("POST", f"{i}/information-requests", "triager", {"question": "Hur?", "due_at": due}),
        ("POST", f"{i}/decline", "triager", {"text": "Lös det regionalt."}),
        ("POST", f"{i}/close", "triager", {"text": "Klart."}),
        ("POST", f"{i}/links", "triager", {"issue_id": w.other_issue}),
        ("DELETE", f"{i}/links", "triager", None),
        ("POST", "/assessments", "assessor", _assessment(w.issue)),
        ("POST", "/assessment-drafts", "assessor", _assessment()),
        ("PUT", f"/assessment-drafts/{w.draft}", "assessor", _assessment()),
        ("POST", f"/assessment-drafts/{w.draft}/publish", "assessor", None),
        (
            "POST",
            f"/assessments/{w.assessment}/drafts",
            "assessor",
            _assessment() | {"change_note": "ny"},
        ),
        (
            "POST",
            f"/assessments/{w.assessment}/revisions",
            "assessor",
            _assessment() | {"change_note": "ny"},
        ),
        ("POST", "/consultations", "assessor", {"question": "Hur ser ni på?", "deadline": due}),
        (
            "POST",
            f"/consultations/{w.consultation}/summary",
            "assessor",
            {"title": "Sammanfattning", "summary": "S", "recommendation": "R"},
        ),
        (
            "POST",
            "/operating-plans",
            "assessor",
            {"year": 2031, "focus_areas": [{"code": "denied-area", "name": "Nekat område"}]},
        ),
        (
            "POST",
            "/staff",
            "admin",
            {"username": "nobody-new", "display_name": "N", "role": "admin", "password": "x" * 20},
        ),
        ("POST", f"/staff/{w.victim}/disable", "admin", None),
        ("POST", f"/staff/{w.victim}/enable", "admin", None),
    ]


# Unsafe routes every signed-in person may call for themselves (their own API tokens).
OWN = {("POST", "/tokens"), ("DELETE", "/tokens/{token_id}")}


@pytest.fixture(scope="module")
async def world(national_app: NationalApp) -> AsyncIterator[World]:
    app = national_app
    issue = await app.escalate("norra", "Nekade anrop: målet")
    other = await app.escalate("sodra", "Nekade anrop: ett annat")
    victim, _ = await app.token("reader")
    tokens = {role: await app.token(role) for role in ROLES}
    async with app.client() as operator:
        published = await operator.post("/assessments", json=_assessment())
        draft = await operator.post("/assessment-drafts", json=_assessment())
        consult = await operator.post(
            "/consultations",
            json={
                "question": "Hur?",
                "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            },
        )
    [victim_token] = await app.rows("SELECT id FROM staff_tokens WHERE username = $1", victim)
    for made in (published, draft, consult):
        assert made.status_code == 201, made.text
    yield World(
        issue=issue,
        other_issue=other,
        assessment=published.json()["id"],
        draft=draft.json()["id"],
        consultation=consult.json()["id"],
        victim=victim,
        victim_token_id=str(victim_token["id"]),
        tokens=tokens,
    )


async def _snapshot(app: NationalApp, w: World) -> dict[str, Any]:
    counts = {t: (await app.rows(f"SELECT count(*) AS n FROM {t}"))[0]["n"] for t in TABLES}
    return {
        "counts": counts,
        "issue": [dict(r) for r in await app.rows("SELECT * FROM issues WHERE id = $1", w.issue)],
        "draft": [
            dict(r)
            for r in await app.rows("SELECT * FROM assessment_drafts WHERE id = $1", w.draft)
        ],
        "victim": [
            dict(r)
            for r in await app.rows(
                "SELECT disabled_at, locked_until FROM staff_accounts WHERE username = $1",
                w.victim,
            )
        ],
    }


async def test_every_unsafe_route_is_in_the_denial_table(
    national_app: NationalApp, world: World
) -> None:
    async with national_app.client() as operator:
        spec = (await operator.get("/openapi.json")).json()
    unsafe = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    }
    ids = {
        world.issue: "{issue_id}",
        world.draft: "{draft_id}",
        world.assessment: "{assessment_id}",
        world.consultation: "{consultation_id}",
        world.victim: "{username}",
    }

    def template(path: str) -> str:
        for value, name in ids.items():
            path = path.replace(value, name)
        return path

    tabled = {(m, template(p)) for m, p, _, _ in _requests(world)} | OWN
    assert unsafe - tabled == set(), "unsafe routes without a denial test"
    assert tabled - unsafe == set(), "denial rows for routes that no longer exist"


@pytest.mark.parametrize("caller", ["reader", "triager", "assessor"])
async def test_a_role_too_low_is_refused_everywhere_and_nothing_changes(
    national_app: NationalApp, world: World, caller: str
) -> None:
    username, token = world.tokens[caller]
    before = await _snapshot(national_app, world)
    denied = [r for r in _requests(world) if ROLES.index(r[2]) > ROLES.index(caller)]
    assert denied, "every role below admin is refused something"
    async with httpx.AsyncClient(
        base_url=national_app.url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    ) as api:
        for method, path, needed, body in denied:
            response = await api.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)
            detail = response.json()["detail"]
            assert f"'{needed}'" in detail and f"'{caller}'" in detail, (method, path, detail)
        # Reading is every role's right.
        for path in ("/issues", f"/issues/{world.issue}", "/queue/stats", "/assessments"):
            assert (await api.get(path)).status_code == 200, path
    assert await _snapshot(national_app, world) == before
    [issue] = await national_app.rows("SELECT state FROM issues WHERE id = $1", world.issue)
    assert issue["state"] == "received"
    trail = await national_app.rows(
        "SELECT actor FROM transitions WHERE issue_id = $1", world.issue
    )
    assert username not in {t["actor"] for t in trail}


async def test_a_reader_cannot_request_information_but_a_triager_can(
    national_app: NationalApp,
) -> None:
    issue = await national_app.escalate("vastra", "Nekade anrop: fråga regionen")
    body = {
        "question": "Hur många platser saknas?",
        "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    # The web session counts too: a reader with a valid CSRF token is refused for the role.
    reader = await national_app.account("reader")
    async with national_app.signed_in(reader) as (client, csrf):
        refused = await client.post(
            f"/issues/{issue}/information-requests", json=body, headers={"X-CSRF-Token": csrf}
        )
    assert refused.status_code == 403
    assert "'triager'" in refused.json()["detail"]
    assert (
        await national_app.rows("SELECT 1 FROM information_requests WHERE issue_id = $1", issue)
        == []
    )

    triager, token = await national_app.token("triager")
    async with national_app.client(token) as api:
        asked = await api.post(f"/issues/{issue}/information-requests", json=body)
        assert asked.status_code == 201, asked.text
        detail = (await api.get(f"/issues/{issue}")).json()
    assert detail["state"] == "awaiting_region"
    assert detail["transitions"][-1]["actor"] == triager


async def test_a_triager_cannot_publish_an_assessment_but_an_assessor_can(
    national_app: NationalApp,
) -> None:
    issue = await national_app.escalate("sydostra", "Nekade anrop: bedöm detta")
    _, triager = await national_app.token("triager")
    async with national_app.client(triager) as api:
        refused = await api.post("/assessments", json=_assessment(issue))
        assert refused.status_code == 403
        assert "'assessor'" in refused.json()["detail"]
        # A triager does the work up to the assessment: that is allowed.
        started = await api.post(f"/issues/{issue}/start-assessment", json={"reason": "går vidare"})
        assert started.status_code == 200, started.text
    assert (
        await national_app.rows("SELECT 1 FROM assessment_links WHERE issue_id = $1", issue) == []
    )

    assessor, token = await national_app.token("assessor")
    async with national_app.client(token) as api:
        published = await api.post("/assessments", json=_assessment(issue))
        assert published.status_code == 201, published.text
        detail = (await api.get(f"/issues/{issue}")).json()
    assert detail["state"] == "assessed"
    assert issue in published.json()["newly_answered"]
    [version] = await national_app.rows(
        "SELECT published_by FROM assessments WHERE id = $1", published.json()["id"]
    )
    assert version["published_by"] == assessor
