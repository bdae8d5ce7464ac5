"""Passwords (argon2id, rehash), lockout, sessions and tokens, on a SQLite file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from national_council.adapters.staff_tables import staff_accounts, staff_sessions, staff_tokens
from national_council.adapters.tables import metadata
from national_council.domain.staff import Role, Staff
from national_council.service_layer import accounts as accounts_module
from national_council.service_layer.accounts import Accounts, LoginRefused, Policy
from samverkan_shared.db import make_engine
from samverkan_shared.statemachine import Conflict, NotFound

PASSWORD = "korrekt-häst-batteri"
PRODUCTION_HASHER = accounts_module._hasher


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def _argon2(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small argon2 parameters: the rules under test do not depend on the cost, the time does."""
    monkeypatch.setattr(accounts_module, "_hasher", _argon2(1, 1024))


def test_the_service_hashes_with_the_library_s_recommended_parameters() -> None:
    # Checked on the module as imported, before any test patches it.
    assert PRODUCTION_HASHER.time_cost >= PasswordHasher().time_cost
    assert PRODUCTION_HASHER.memory_cost >= PasswordHasher().memory_cost
    assert PRODUCTION_HASHER.hash("x").startswith("$argon2id$")


@pytest.fixture
async def accounts(engine: AsyncEngine) -> Accounts:
    made = Accounts(engine, Policy(max_failures=3, lockout=timedelta(minutes=15)))
    await made.create("anna", "Anna Berg", Role.TRIAGER, PASSWORD, "test")
    return made


async def _stored_hash(accounts: Accounts, username: str = "anna") -> str:
    async with accounts.engine.connect() as conn:
        row = (
            await conn.execute(
                select(staff_accounts.c.password_hash).where(staff_accounts.c.username == username)
            )
        ).one()
    return str(row.password_hash)


async def test_the_password_is_kept_as_an_argon2id_hash(accounts: Accounts) -> None:
    stored = await _stored_hash(accounts)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert await accounts.verify_password("anna", PASSWORD) == Staff("anna", Role.TRIAGER)
    with pytest.raises(LoginRefused, match="wrong username or password"):
        await accounts.verify_password("anna", PASSWORD + "x")


async def test_an_unknown_user_and_a_wrong_password_look_the_same(accounts: Accounts) -> None:
    with pytest.raises(LoginRefused) as unknown:
        await accounts.verify_password("nobody", PASSWORD)
    with pytest.raises(LoginRefused) as wrong:
        await accounts.verify_password("anna", "fel-lösenord-123")
    assert str(unknown.value) == str(wrong.value)
    assert unknown.value.locked_until is None and wrong.value.locked_until is None


async def test_a_hash_with_old_parameters_is_rehashed_on_login(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await _stored_hash(accounts)
    # The library's recommendation rises (a new release): the next login rehashes.
    newer = _argon2(2, 2048)
    monkeypatch.setattr(accounts_module, "_hasher", newer)
    assert newer.check_needs_rehash(old)
    await accounts.verify_password("anna", PASSWORD)
    renewed = await _stored_hash(accounts)
    assert renewed != old and "m=2048,t=2" in renewed
    assert not newer.check_needs_rehash(renewed)
    assert newer.verify(renewed, PASSWORD)
    # A failed attempt does not touch the hash.
    with pytest.raises(LoginRefused):
        await accounts.verify_password("anna", "fel-lösenord-123")
    assert await _stored_hash(accounts) == renewed


@pytest.mark.parametrize("password", ["kort", "elva-tecken", "x" * 1025], ids=["4", "11", "1025"])
async def test_passwords_outside_the_limits_are_refused(accounts: Accounts, password: str) -> None:
    with pytest.raises(ValueError, match="password must have"):
        await accounts.create("bo", "Bo", Role.READER, password, "test")
    assert not await accounts.exists("bo")


async def test_failures_in_a_row_lock_the_account_until_the_lockout_passes(
    accounts: Accounts,
) -> None:
    for _ in range(2):
        with pytest.raises(LoginRefused):
            await accounts.verify_password("anna", "fel-lösenord-123")
    # A success in between resets the count: two more failures do not lock.
    await accounts.verify_password("anna", PASSWORD)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            await accounts.verify_password("anna", "fel-lösenord-123")
    assert (await accounts.get("anna"))["locked_until"] is None

    with pytest.raises(LoginRefused):
        await accounts.verify_password("anna", "fel-lösenord-123")  # the third in a row
    locked = (await accounts.get("anna"))["locked_until"]
    assert locked is not None
    assert timedelta(minutes=14) < locked - datetime.now(UTC) <= timedelta(minutes=15)
    with pytest.raises(LoginRefused) as refused:
        await accounts.verify_password("anna", PASSWORD)  # even the right password
    assert refused.value.locked_until == locked

    # Once the lockout has passed, the right password works again.
    async with accounts.engine.begin() as conn:
        await conn.execute(
            update(staff_accounts)
            .where(staff_accounts.c.username == "anna")
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await accounts.verify_password("anna", PASSWORD) == Staff("anna", Role.TRIAGER)
    assert (await accounts.get("anna"))["locked_until"] is None


async def test_an_admin_lifts_a_lockout_with_enable(accounts: Accounts) -> None:
    for _ in range(3):
        with pytest.raises(LoginRefused):
            await accounts.verify_password("anna", "fel-lösenord-123")
    await accounts.enable("anna")
    assert await accounts.verify_password("anna", PASSWORD) == Staff("anna", Role.TRIAGER)


async def test_a_session_is_found_by_its_cookie_and_ends_on_logout(accounts: Accounts) -> None:
    login = await accounts.login("anna", PASSWORD)
    session = await accounts.session(login.cookie)
    assert session == login.session and session.staff == Staff("anna", Role.TRIAGER)
    assert len(session.csrf_token) >= 32
    async with accounts.engine.connect() as conn:
        stored = [r.id_hash for r in await conn.execute(select(staff_sessions.c.id_hash))]
    assert login.cookie not in stored  # only its hash
    assert await accounts.session(login.cookie + "x") is None

    await accounts.logout(login.cookie)
    assert await accounts.session(login.cookie) is None


async def test_an_idle_session_ends(accounts: Accounts) -> None:
    login = await accounts.login("anna", PASSWORD)
    async with accounts.engine.begin() as conn:
        await conn.execute(
            update(staff_sessions).values(last_seen_at=datetime.now(UTC) - timedelta(hours=3))
        )
    assert await accounts.session(login.cookie) is None


async def test_a_role_change_reaches_open_sessions_and_disabling_ends_them(
    accounts: Accounts,
) -> None:
    login = await accounts.login("anna", PASSWORD)
    _, token = await accounts.create_token("anna", "skript")
    await accounts.set_role("anna", Role.READER)
    session = await accounts.session(login.cookie)
    assert session is not None and session.staff.role is Role.READER
    assert await accounts.staff_for_token(token) == Staff("anna", Role.READER)

    await accounts.disable("anna")
    assert await accounts.session(login.cookie) is None
    assert await accounts.staff_for_token(token) is None
    with pytest.raises(LoginRefused):
        await accounts.login("anna", PASSWORD)
    with pytest.raises(Conflict, match="disabled"):
        await accounts.create_token("anna", "ett till")


async def test_a_token_is_kept_hashed_and_stops_when_revoked(accounts: Accounts) -> None:
    row, token = await accounts.create_token("anna", "skript")
    assert token.startswith("svn_") and row["prefix"] == token[:10]
    async with accounts.engine.connect() as conn:
        stored = (await conn.execute(select(staff_tokens))).one()
    assert token not in {str(v) for v in stored}
    assert await accounts.staff_for_token(token) == Staff("anna", Role.TRIAGER)
    assert await accounts.staff_for_token("svn_" + "x" * 43) is None
    assert await accounts.staff_for_token("dev-token") is None

    # Only its owner (or an admin, with no username) revokes it.
    with pytest.raises(NotFound):
        await accounts.revoke_token(row["id"], username="someone-else")
    await accounts.revoke_token(row["id"], username="anna")
    assert await accounts.staff_for_token(token) is None
