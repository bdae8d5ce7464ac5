"""National staff accounts: argon2 passwords, sessions with CSRF, hashed tokens, lockout, roles."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from tests.national_app import PASSWORD, TIMEOUT, NationalApp


@pytest.fixture
def app(national_app: NationalApp) -> NationalApp:
    return national_app


def _tag() -> str:
    return uuid4().hex[:8]


async def _browser(app: NationalApp, username: str, password: str = PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(base_url=app.url, timeout=TIMEOUT) as anonymous:
        return await anonymous.post("/ui/login", data={"username": username, "password": password})


async def test_login_sets_a_strict_session_cookie_and_the_password_is_argon2(
    app: NationalApp,
) -> None:
    username = await app.account("reader")
    refused = await _browser(app, username, "wrong-password-123")
    assert refused.status_code == 401
    assert "Fel användarnamn eller lösenord" in refused.text
    assert "set-cookie" not in refused.headers

    login = await _browser(app, username)
    assert (login.status_code, login.headers["location"]) == (303, "/ui")
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("samverkan_national_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development over plain HTTP; production sets it

    [stored] = await app.rows(
        "SELECT password_hash FROM staff_accounts WHERE username = $1", username
    )
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]
    # The cookie value is not stored either: only its hash identifies the session.
    value = cookie.split(";")[0].split("=", 1)[1]
    assert await app.rows("SELECT 1 FROM staff_sessions WHERE id_hash = $1", value) == []


async def test_unsafe_requests_with_the_session_need_the_csrf_token(app: NationalApp) -> None:
    username = await app.account("reader")
    async with app.signed_in(username) as (client, csrf):
        me = await client.get("/me")
        assert me.json() == {"username": username, "role": "reader"}
        forged = await client.post("/tokens", json={"name": "skript"})
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        wrong = await client.post("/tokens", json={"name": "skript"}, headers={"X-CSRF-Token": "x"})
        assert wrong.status_code == 403
        made = await client.post("/tokens", json={"name": "skript"}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        # A form without the token is refused too (the web UI's plain forms).
        form = await client.post("/ui/account/tokens", data={"name": "formulär"})
        assert form.status_code == 403
        assert [t["name"] for t in (await client.get("/tokens")).json()] == ["skript"]

        # Logout ends the session on the server: the old cookie opens nothing afterwards.
        cookie = client.cookies.get("samverkan_national_session")
        out = await client.post("/ui/logout", data={"csrf_token": csrf})
        assert (out.status_code, out.headers["location"]) == (303, "/ui/login")
    async with httpx.AsyncClient(base_url=app.url, timeout=TIMEOUT) as replay:
        again = await replay.get("/me", headers={"Cookie": f"samverkan_national_session={cookie}"})
        assert again.status_code == 401


async def test_a_token_is_shown_once_stored_hashed_and_revocable(app: NationalApp) -> None:
    username = await app.account("triager")
    async with app.signed_in(username) as (client, csrf):
        made = await client.post(
            "/tokens", json={"name": "rapportskript"}, headers={"X-CSRF-Token": csrf}
        )
    body = made.json()
    token = body["token"]
    assert token.startswith("svn_") and body["prefix"] == token[:10]
    stored = await app.rows("SELECT * FROM staff_tokens WHERE id = $1", body["id"])
    assert token not in {str(v) for v in stored[0].values()}

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=app.url, headers=headers, timeout=TIMEOUT) as api:
        assert (await api.get("/me")).json() == {"username": username, "role": "triager"}
        listed = (await api.get("/tokens")).json()
        assert "token" not in listed[0] and listed[0]["last_used_at"] is not None
        revoked = await api.delete(f"/tokens/{body['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert (await api.get("/me")).status_code == 401


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    app: NationalApp,
) -> None:
    username = await app.account("assessor")
    for _ in range(5):
        assert (await _browser(app, username, "fel-lösenord-igen")).status_code == 401
    locked = await _browser(app, username)
    assert locked.status_code == 401
    assert "låst" in locked.text
    [row] = await app.rows("SELECT locked_until FROM staff_accounts WHERE username = $1", username)
    assert row["locked_until"] is not None
    # An admin lifts the lockout; the right password works again.
    async with app.client() as operator:
        assert (await operator.post(f"/staff/{username}/enable")).status_code == 200
    assert (await _browser(app, username)).status_code == 303


async def test_only_an_admin_manages_accounts_and_a_disabled_account_stops_at_once(
    app: NationalApp,
) -> None:
    reader = await app.account("reader")
    assessor = await app.account("assessor")
    async with app.signed_in(assessor) as (client, csrf):
        made = await client.post("/tokens", json={"name": "t"}, headers={"X-CSRF-Token": csrf})
        token = made.json()["token"]
        denied = await client.post(
            "/staff",
            json={
                "username": f"x-{_tag()}",
                "display_name": "X",
                "role": "admin",
                "password": PASSWORD,
            },
            headers={"X-CSRF-Token": csrf},
        )
        assert denied.status_code == 403
        assert "'admin'" in denied.json()["detail"] and "'assessor'" in denied.json()["detail"]
        page = await client.get("/ui/staff")
        assert page.status_code == 403 and "Administratör" in page.text

        async with app.client() as operator:
            assert (await operator.post(f"/staff/{assessor}/disable")).status_code == 200
            listed = {a["username"]: a for a in (await operator.get("/staff")).json()}
        assert listed[assessor]["disabled_at"] is not None
        assert listed[reader]["disabled_at"] is None
        assert "password_hash" not in listed[reader]
        # The open session and the token both stop working at once.
        assert (await client.get("/me")).status_code == 401
    async with httpx.AsyncClient(base_url=app.url, timeout=TIMEOUT) as api:
        assert (
            await api.get("/me", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 401
    assert (await _browser(app, assessor)).status_code == 401


async def test_bad_account_input_is_a_422_naming_the_field(app: NationalApp) -> None:
    async with app.client() as operator:
        short = await operator.post(
            "/staff",
            json={
                "username": f"kort-{_tag()}",
                "display_name": "K",
                "role": "reader",
                "password": "kort",
            },
        )
        assert short.status_code == 422
        assert short.json()["detail"][0]["loc"] == ["body", "password"]
        role = await operator.post(
            "/staff",
            json={
                "username": f"roll-{_tag()}",
                "display_name": "R",
                "role": "chef",
                "password": PASSWORD,
            },
        )
        assert role.status_code == 422 and role.json()["detail"][0]["loc"] == ["body", "role"]
        name = await operator.post(
            "/staff",
            json={
                "username": "Inte OK",
                "display_name": "N",
                "role": "reader",
                "password": PASSWORD,
            },
        )
        assert name.status_code == 422 and name.json()["detail"][0]["loc"] == ["body", "username"]
        taken = await app.account("reader")
        twice = await operator.post(
            "/staff",
            json={"username": taken, "display_name": "T", "role": "reader", "password": PASSWORD},
        )
        assert twice.status_code == 409 and taken in twice.json()["detail"]
        # The operator token is no account: it cannot hold tokens of its own.
        assert (await operator.post("/tokens", json={"name": "x"})).status_code == 409
