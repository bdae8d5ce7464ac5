"""The issue page's link control over plain HTTP: what staff see when they get it wrong."""

from __future__ import annotations

from uuid import uuid4

from tests.national_app import NationalApp


async def test_the_link_form_explains_its_refusals_and_links_on_success(
    national_app: NationalApp,
) -> None:
    app = national_app
    issue = await app.escalate("mellansverige", "Länkformulär: det ena")
    other = await app.escalate("stockholm-gotland", "Länkformulär: det andra")
    triager = await app.account("triager")
    async with app.signed_in(triager) as (client, csrf):

        async def link(value: str) -> tuple[int, str]:
            response = await client.post(
                f"/ui/issues/{issue}/links",
                data={"other_issue": value, "csrf_token": csrf},
                headers={"HX-Request": "true"},
            )
            return response.status_code, response.text

        status, page = await link("inte-ett-id")
        assert status == 422 and "other_issue: must be an issue ID" in page
        missing = str(uuid4())
        status, page = await link(missing)
        assert status == 422 and f"no issue {missing}" in page
        status, page = await link(issue)
        assert status == 409 and "cannot be linked to itself" in page
        assert (
            await app.rows("SELECT 1 FROM issues WHERE link_group IS NOT NULL AND id = $1", issue)
            == []
        )

        status, page = await link(other.upper())  # pasted in capitals: still the same issue
        assert status == 200 and 'id="linked-issues"' in page and "Länkformulär: det andra" in page
        rows = await app.rows(
            "SELECT link_group FROM issues WHERE id = ANY($1::text[])", [issue, other]
        )
        assert len({r["link_group"] for r in rows}) == 1 and rows[0]["link_group"] is not None

        # Unlinking takes this issue out of the group again.
        out = await client.post(
            f"/ui/issues/{issue}/unlink", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert out.status_code == 303 and out.headers["location"] == f"/ui/issues/{issue}"
        [row] = await app.rows("SELECT link_group FROM issues WHERE id = $1", issue)
        assert row["link_group"] is None
