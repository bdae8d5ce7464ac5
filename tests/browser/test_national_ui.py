"""The national staff UI in headless Chromium: the working day of an assessor, a reader's limits."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.national_app import PASSWORD, NationalApp

pytestmark = pytest.mark.e2e

# Assertions wait up to 15 s (Playwright's default is 5): a login is an argon2 hash, and the
# two CI cores are shared with the rest of the suite.
expect.set_options(timeout=15_000)


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """Screenshots: $SAMVERKAN_ARTIFACTS/national-ui on CI, else the test's tmp dir."""
    folder = Path(os.environ.get("SAMVERKAN_ARTIFACTS") or tmp_path) / "national-ui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def _login(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/ui")
    await expect(page).to_have_url(f"{base}/ui/login?next=/ui")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{base}/ui")


async def test_an_assessor_filters_asks_and_publishes(
    national_app: NationalApp, page: Page, artifacts: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    assessor = await national_app.account("assessor")
    norra_title = f"VFU-platser saknas i norr {tag}"
    sodra_title = f"VFU-platser saknas i söder {tag}"
    issue_id = await national_app.escalate("norra", norra_title)
    sodra_id = await national_app.escalate("sodra", sodra_title)
    base = national_app.url

    await _login(page, base, assessor)
    await expect(page.locator("#queue")).to_contain_text(sodra_title)

    # Filter to one region: htmx swaps the rows and the URL keeps the filter.
    await page.select_option("#filter-region", "norra")
    await expect(page.locator("#queue")).not_to_contain_text(sodra_title)
    await expect(page.locator("#queue")).to_contain_text(norra_title)
    await expect(page).to_have_url(re.compile(r"/ui\?.*region=norra"))  # bookmarkable
    await page.screenshot(path=str(artifacts / "1-queue-norra.png"), full_page=True)

    await page.click(f"text={norra_title}")
    await expect(page).to_have_url(f"{base}/ui/issues/{issue_id}")
    await expect(page.locator("#issue-state")).to_have_text("Inkommen")

    # Request information: the issue waits on the region; the timeline shows the question.
    question = f"Hur många platser saknas per termin? ({tag})"
    await page.fill("#question", question)
    await page.fill("#due-date", (date.today() + timedelta(days=14)).isoformat())
    await page.click("#send-request")
    await expect(page.locator("#issue-state")).to_have_text("Väntar på regionen")
    await expect(page.locator("#information-requests")).to_contain_text(question)
    await expect(page.locator("#timeline li.out")).to_contain_text("information requested")
    await expect(page.locator("#timeline li.audit").last).to_contain_text(assessor)

    # Södra's escalation is the same problem: the page suggests it; link the two.
    suggestion = page.locator(f"#link-candidates li[data-id='{sodra_id}']")
    await suggestion.get_by_role("button").click()
    await expect(page.locator("#linked-issues")).to_contain_text(sodra_title)
    await expect(page.locator(f"#link-candidates li[data-id='{sodra_id}']")).to_have_count(0)
    await expect(page.locator("#timeline li.audit").last).to_contain_text(f"linked with {sodra_id}")
    await page.screenshot(path=str(artifacts / "2-asked-and-linked.png"), full_page=True)

    # Draft an assessment answering the issue, find the draft in the list, publish it.
    title = f"Nationell bedömning av VFU ({tag})"
    await page.click("#assess-issue")
    await expect(page.locator("#a-answers")).to_have_value(issue_id)
    await page.fill("#a-title", title)
    await page.fill("#a-summary", "Bristen finns i flera regioner.")
    await page.fill("#a-recommendation", "Lärosäten och regioner tar fram en gemensam VFU-plan.")
    await page.check("input[name=areas][value=clinical-placement]")
    await page.click("#save-draft")
    await expect(page.locator("#draft-saved")).to_contain_text(assessor)
    await expect(page).to_have_url(re.compile(r"/ui/assessments/drafts/[0-9a-f-]{36}$"))
    await page.screenshot(path=str(artifacts / "3-assessment-draft.png"), full_page=True)
    await page.click("header nav >> text=Bedömningar")
    await expect(page.locator("#draft-list")).to_contain_text(title)
    await page.screenshot(path=str(artifacts / "4-assessments-and-drafts.png"), full_page=True)
    await page.click(f"#draft-list >> text={title}")
    await expect(page.locator("#a-title")).to_have_value(title)
    await expect(page.locator("#a-answers")).to_have_value(issue_id)
    await page.click("#publish")
    await expect(page.locator("#versions article")).to_have_count(1)
    # One assessment answers both linked escalations.
    await expect(page.locator("#assessment")).to_contain_text(issue_id)
    await expect(page.locator("#assessment")).to_contain_text(sodra_id)
    await page.screenshot(path=str(artifacts / "5-assessment-published.png"), full_page=True)
    await page.click("header nav >> text=Bedömningar")
    await expect(page.locator("#assessment-list")).to_contain_text(title)
    await expect(page.locator("#draft-list")).not_to_contain_text(title)

    # The state change, seen where staff look: the issue page and the queue.
    await page.click(f"#assessment-list >> text={title}")
    await page.click(f"#assessment a[href='/ui/issues/{issue_id}']")
    await expect(page.locator("#issue-state")).to_have_text("Bedömd")
    await expect(page.locator("#timeline li.out")).to_contain_text(["assessment v1 published"])
    await page.goto(f"{base}/ui?state=assessed&q={tag}")
    await expect(page.locator(f"#queue tr[data-id='{issue_id}']")).to_contain_text("Bedömd")
    await expect(page.locator(f"#queue tr[data-id='{sodra_id}']")).to_contain_text("Bedömd")

    # English labels on request; the dashboard draws its chart on the server.
    await page.click("#lang-switch")
    await expect(page.locator("header nav")).to_contain_text("Queue")
    await page.click("text=Dashboard")
    await expect(
        page.locator("#chart-region .bar[data-label='Norra sjukvårdsregionen']")
    ).to_have_count(1)
    await page.screenshot(path=str(artifacts / "6-dashboard-en.png"), full_page=True)
    assert await page.evaluate("typeof htmx") == "object"  # served locally, allowed by the CSP

    await page.click("#logout")
    await expect(page).to_have_url(f"{base}/ui/login")
    await page.goto(f"{base}/ui")
    await expect(page).to_have_url(f"{base}/ui/login?next=/ui")


async def test_a_reader_sees_but_cannot_change(
    national_app: NationalApp, page: Page, artifacts: Path
) -> None:
    reader = await national_app.account("reader")
    issue_id = await national_app.escalate("vastra", f"Forskningstid saknas {uuid.uuid4().hex[:6]}")
    base = national_app.url
    await _login(page, base, reader)
    await page.goto(f"{base}/ui/issues/{issue_id}")
    await expect(page.locator("#issue-state")).to_have_text("Inkommen")
    await expect(page.locator("#actions")).to_have_count(0)
    await expect(page.locator("#assess-issue")).to_have_count(0)
    await expect(page.locator("#read-only")).to_be_visible()
    await expect(page.locator("#link-issues")).to_have_count(0)
    await page.screenshot(path=str(artifacts / "reader-issue.png"), full_page=True)

    # Even hand-made requests with the session's own CSRF token are refused: 403, both on
    # the pages' form routes and on the HTTP API the session cookie also opens.
    statuses = await page.evaluate(
        """async (id) => {
            const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
            const form = (fields) => ({method: 'POST', body: new URLSearchParams({...fields, csrf_token: csrf})});
            const json = (body) => ({method: 'POST', body: JSON.stringify(body),
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf}});
            const calls = [
                fetch(`/ui/issues/${id}/information-requests`, form({question: 'Får jag?', due_date: '2099-01-01'})),
                fetch(`/ui/issues/${id}/claim`, form({})),
                fetch(`/ui/issues/${id}/links`, form({other_issue: id})),
                fetch(`/issues/${id}/information-requests`, json({question: 'Får jag?', due_at: '2099-01-01T12:00:00Z'})),
                fetch('/assessments', json({title: 'T', summary: 'S', recommendation: 'R', areas: ['clinical-placement']})),
            ];
            return Promise.all(calls.map(async (c) => (await c).status));
        }""",
        issue_id,
    )
    assert statuses == [403, 403, 403, 403, 403]
    # The lists are open to a reader, without the ways to change them.
    await page.click("header nav >> text=Bedömningar")
    await expect(page.locator("#assessment-list")).to_be_visible()
    await expect(page.locator("#new-assessment")).to_have_count(0)
    await page.goto(f"{base}/ui/assessments/new")
    await expect(page.locator("#forbidden")).to_contain_text("Bedömare")
    await page.screenshot(path=str(artifacts / "reader-denied.png"), full_page=True)
    await page.goto(f"{base}/ui/staff")
    await expect(page.locator("#forbidden")).to_contain_text("Administratör")
    # Nothing changed: the issue is as it came in.
    [row] = await national_app.rows(
        "SELECT state, assignee, link_group FROM issues WHERE id = $1", issue_id
    )
    assert dict(row) == {"state": "received", "assignee": None, "link_group": None}
    assert await national_app.rows("SELECT 1 FROM transitions WHERE actor = $1", reader) == []
