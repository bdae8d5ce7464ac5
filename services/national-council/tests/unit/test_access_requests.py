"""``requires(role)`` on a small app of its own: credentials, CSRF on unsafe methods, roles.

The app is called in-process (httpx's ASGI transport); accounts live in a SQLite file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI

from national_council.adapters.tables import metadata
from national_council.domain.staff import Role, Staff
from national_council.entrypoints.access import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Access,
    install_access,
    requires,
)
from national_council.service_layer import accounts as accounts_module
from national_council.service_layer.accounts import Accounts
from samverkan_shared.db import make_engine

PASSWORD = "korrekt-häst-batteri"
OPERATOR_TOKEN = "operator-token-for-units"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small argon2 parameters: hashing cost is not what these tests are about."""
    monkeypatch.setattr(
        accounts_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
async def accounts(tmp_path: Path) -> AsyncIterator[Accounts]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    made = Accounts(engine)
    await made.create("rita", "Rita Läsare", Role.READER, PASSWORD, "test")
    await made.create("tage", "Tage Triage", Role.TRIAGER, PASSWORD, "test")
    yield made
    await engine.dispose()


@pytest.fixture
async def client(accounts: Accounts) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_access(app, Access(accounts, OPERATOR_TOKEN))

    @app.get("/read")
    async def read(staff: Staff = Depends(requires(Role.READER))) -> dict[str, str]:
        return {"who": staff.username, "role": staff.role.value}

    @app.post("/work")
    async def work(staff: Staff = Depends(requires(Role.TRIAGER))) -> dict[str, str]:
        return {"who": staff.username}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://unit") as c:
        yield c


async def _cookie(accounts: Accounts, username: str) -> tuple[dict[str, str], str]:
    login = await accounts.login(username, PASSWORD)
    return {"Cookie": f"{SESSION_COOKIE}={login.cookie}"}, login.session.csrf_token


async def test_no_or_wrong_credentials_are_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Cookie": f"{SESSION_COOKIE}=nope"}):
        response = await client.get("/read", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"


async def test_the_operator_token_acts_as_admin(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    assert (await client.get("/read", headers=headers)).json() == {
        "who": "operator",
        "role": "admin",
    }
    # No CSRF token for bearer credentials: a browser never sends them on its own.
    assert (await client.post("/work", headers=headers)).status_code == 200
    near_miss = {"Authorization": "Bearer operator-token-for-unitz"}
    assert (await client.get("/read", headers=near_miss)).status_code == 401
    # A non-ASCII credential is a plain "no", not a crash in the comparison.
    odd = {b"Authorization": "Bearer operatör-token".encode()}
    assert (await client.get("/read", headers=odd)).status_code == 401


async def test_too_low_a_role_is_403_naming_both_roles(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    cookie, csrf = await _cookie(accounts, "rita")
    assert (await client.get("/read", headers=cookie)).json()["who"] == "rita"
    refused = await client.post("/work", headers={**cookie, CSRF_HEADER: csrf})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "this needs the role 'triager' or higher; 'rita' has the role 'reader'"
    )


async def test_an_unsafe_request_with_the_session_needs_its_csrf_token(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    cookie, csrf = await _cookie(accounts, "tage")
    _, other_csrf = await _cookie(accounts, "rita")
    missing = await client.post("/work", headers=cookie)
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = await client.post("/work", headers={**cookie, CSRF_HEADER: other_csrf})
    assert wrong.status_code == 403  # another session's token is no good
    odd = await client.post(
        "/work",
        headers=[(k.encode(), v.encode()) for k, v in cookie.items()]
        + [(CSRF_HEADER.encode(), "å-token".encode())],
    )
    assert odd.status_code == 403
    assert (await client.post("/work", headers={**cookie, CSRF_HEADER: csrf})).status_code == 200

    # A plain HTML form carries it as a field instead.
    form = await client.post("/work", headers=cookie, data={"csrf_token": csrf})
    assert form.status_code == 200
    bad_form = await client.post("/work", headers=cookie, data={"csrf_token": other_csrf})
    assert bad_form.status_code == 403
    # In a JSON body it does not count: only forms and the header do.
    as_json = await client.post("/work", headers=cookie, json={"csrf_token": csrf})
    assert as_json.status_code == 403
    # Reading needs no token.
    assert (await client.get("/read", headers=cookie)).status_code == 200
