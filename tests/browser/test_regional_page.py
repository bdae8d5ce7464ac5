"""The regional council's /ui page in headless Chromium: login, the dialogue, logout."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from samverkan_shared.settings import DEV_API_TOKEN
from tests.conftest import Network
from tests.infra import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: $SAMVERKAN_ARTIFACTS on CI, else the test's tmp dir."""
    folder = Path(os.environ.get("SAMVERKAN_ARTIFACTS") or tmp_path) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # A fresh context per test: no cookie from another test or region leaks in.
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def _json(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def _norra_in_dialogue(network: Network) -> dict[str, str]:
    """Escalate from norra, ask with a past deadline, publish to all; wait until norra has it."""
    tag = uuid.uuid4().hex[:8]  # the network is shared by the session: find our own rows
    title = f"VFU-platser saknas <em>{tag}</em>"  # markup, to see it shown as text
    question = f"Hur många platser saknas per termin? ({tag})"
    assessment_title = f"Nationell bedömning av VFU ({tag})"
    national = network.client("national-council")
    norra = network.client("regional-council.norra")
    created = await norra.post(
        "/escalations",
        json={
            "title": title,
            "summary": "Lärosätena kan inte erbjuda VFU till alla antagna studenter.",
            "areas": ["clinical-placement"],
            "reason_not_regional": "Dimensioneringen beslutas nationellt.",
            "requested_outcome": "En nationell bedömning av VFU-kapaciteten.",
            "urgency": "high",
        },
    )
    assert created.status_code == 201, created.text
    issue_id = created.json()["id"]
    issue = await eventually(
        lambda: _json(norra, f"/issues/{issue_id}"),
        lambda i: i["national_reference"] is not None,
        what="norra holds the national reference",
    )
    # Due yesterday: the page must mark the request as overdue.
    due = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    asked = await national.post(
        f"/issues/{issue['national_reference']}/information-requests",
        json={"question": question, "due_at": due},
    )
    assert asked.status_code == 201, asked.text
    published = await national.post(
        "/assessments",
        json={
            "title": assessment_title,
            "summary": "Bristen finns i flera regioner.",
            "recommendation": "Regionerna och lärosätena tar fram en gemensam plan.",
            "areas": ["clinical-placement"],
        },
    )
    assert published.status_code == 201, published.text
    await eventually(
        lambda: _json(norra, f"/issues/{issue_id}"),
        lambda i: [r["question"] for r in i["information_requests"]] == [question],
        what="norra holds the information request",
    )
    for region in ("norra", "sodra"):
        async with network.client(f"regional-council.{region}") as client:
            await eventually(
                partial(_json, client, "/assessments"),
                lambda rows: any(a["title"] == assessment_title for a in rows),
                what=f"{region} holds the assessment",
            )
    return {"title": title, "question": question, "assessment": assessment_title}


async def _new_key(network: Network, region: str) -> str:
    """A fresh API key of the region, made as an administrator would: with its CLI."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "regional-council"),
        "api-key",
        "create",
        "--name",
        f"Webbsida {region}",
        env={
            **os.environ,
            "SAMVERKAN_REGION": region,
            "SAMVERKAN_DATABASE_URL": network.databases[f"regional-council.{region}"],
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, out.decode()
    return next(line for line in out.decode().splitlines() if line.startswith("svk_"))


async def _login(page: Page, base: str, key: str) -> None:
    await page.goto(f"{base}/ui/login")
    await page.fill("#key", key)
    await page.click("button[type=submit]")


async def test_norra_page_shows_the_dialogue_and_logs_out(
    network: Network, page: Page, artifacts: Path
) -> None:
    seen = await _norra_in_dialogue(network)
    base = network.url("regional-council.norra")
    # A script or style the Content-Security-Policy blocks shows up as a console error.
    errors: list[str] = []

    def record(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    page.on("console", record)

    # Without a session the page sends the browser to the login form.
    await page.goto(f"{base}/ui")
    await expect(page).to_have_url(f"{base}/ui/login")

    await _login(page, base, "not-the-token")
    await expect(page.locator("#login-error")).to_contain_text("Wrong key")
    await page.screenshot(path=str(artifacts / "norra-login-refused.png"), full_page=True)
    assert await page.context.cookies() == []

    await _login(page, base, DEV_API_TOKEN)
    await expect(page).to_have_url(f"{base}/ui")
    [cookie] = await page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert DEV_API_TOKEN not in cookie["value"]

    issues = page.locator("#issues")
    await expect(issues).to_contain_text(seen["title"])  # the markup is text, not HTML
    await expect(issues.locator("em")).to_have_count(0)
    await expect(issues).to_contain_text("Information begärd")
    row = page.locator("#information-requests tr", has_text=seen["question"])
    await expect(row).to_have_count(1)
    await expect(row.locator(".overdue-badge")).to_have_text("Försenad / Overdue")
    assessment = page.locator("#assessments tr", has_text=seen["assessment"])
    await expect(assessment).to_have_count(1)
    await expect(assessment).to_contain_text("Nej")  # not acknowledged yet
    await expect(page.locator("#consultations h2")).to_contain_text("Consultations")
    await page.screenshot(path=str(artifacts / "norra-page.png"), full_page=True)

    assert await page.evaluate("typeof htmx") == "object"  # served locally, not blocked
    assert [e for e in errors if "401" not in e] == []  # the refused login is expected

    await page.click("#logout")
    await expect(page).to_have_url(f"{base}/ui/login")
    assert await page.context.cookies() == []
    await page.goto(f"{base}/ui")
    await expect(page).to_have_url(f"{base}/ui/login")


async def test_another_region_shows_only_its_own_issues(
    network: Network, page: Page, artifacts: Path
) -> None:
    seen = await _norra_in_dialogue(network)
    norra = network.url("regional-council.norra")
    sodra = network.url("regional-council.sodra")

    norra_key, sodra_key = await _new_key(network, "norra"), await _new_key(network, "sodra")

    # norra's key opens nothing at sodra; sodra's own key does.
    await _login(page, sodra, norra_key)
    await expect(page.locator("#login-error")).to_be_visible()
    await _login(page, sodra, sodra_key)
    await expect(page).to_have_url(f"{sodra}/ui")
    await expect(page.locator("h1")).to_contain_text("sodra")
    await expect(page.locator(".principal")).to_contain_text("key:")
    # The national assessment went to every region; norra's issue and request did not.
    await expect(page.locator("#assessments")).to_contain_text(seen["assessment"])
    await expect(page.locator("#issues")).not_to_contain_text(seen["title"])
    await expect(page.locator("#information-requests")).not_to_contain_text(seen["question"])
    await page.screenshot(path=str(artifacts / "sodra-page.png"), full_page=True)

    # sodra's session is not a session at norra (another name, another process's secret).
    await page.goto(f"{norra}/ui")
    await expect(page).to_have_url(f"{norra}/ui/login")


async def test_the_page_needs_a_session_and_stays_out_of_the_api_schema(network: Network) -> None:
    async with httpx.AsyncClient(base_url=network.url("regional-council.norra")) as anonymous:
        assert (await anonymous.get("/ui/sections")).status_code == 401
        redirect = await anonymous.get("/ui")
        assert (redirect.status_code, redirect.headers["location"]) == (303, "/ui/login")
        forged = await anonymous.get(
            "/ui", headers={"Cookie": "samverkan_ui_norra=operator.9999999999.00"}
        )
        assert forged.status_code == 303
        login = await anonymous.get("/ui/login")
        assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
        htmx = await anonymous.get("/ui/static/htmx.min.js")
        assert htmx.status_code == 200 and htmx.text.startswith("var htmx=")
    schema = await _json(network.client("regional-council.norra"), "/openapi.json")
    assert not [path for path in schema["paths"] if path.startswith("/ui")]
