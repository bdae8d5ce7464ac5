"""Staff accounts: passwords (argon2id), API tokens and web sessions, all hashed at rest."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from national_council.adapters.staff_tables import staff_accounts, staff_sessions, staff_tokens
from national_council.domain.staff import Role, Staff, valid_username
from samverkan_shared.ids import new_id
from samverkan_shared.statemachine import Conflict, NotFound

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "TOKEN_PREFIX",
    "Accounts",
    "LoginRefused",
    "LoginResult",
    "Policy",
    "WebSession",
    "check_password",
    "prepare",
]

TOKEN_PREFIX = "svn"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 would hash a megabyte happily; a login form should not
USE_RESOLUTION = timedelta(minutes=1)  # last-used stamps: not a write on every request

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def prepare() -> None:
    """Make the dummy hash now (the service calls this at start, the CLI never needs it)."""
    _dummy_hash()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown.

    So a wrong username costs as long as a wrong password and the timing does not tell which
    accounts exist. Made on first use, not at import: the CLI's commands should not pay for it.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class LoginRefused(Exception):
    """Wrong username or password, a disabled account, or a locked one.

    The message is the same for all but the lockout: a login form must not say which
    usernames exist.
    """

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("locked" if locked_until else "wrong username or password")
        self.locked_until = locked_until


@dataclass(frozen=True)
class Policy:
    """Lifetimes and lockout rules (from the settings)."""

    session_lifetime: timedelta = timedelta(hours=10)
    session_idle: timedelta = timedelta(hours=2)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who, and the CSRF token its forms must carry."""

    staff: Staff
    csrf_token: str


@dataclass(frozen=True)
class LoginResult:
    """A new session: the cookie value (shown to the browser once) and the session."""

    cookie: str
    session: WebSession


def check_password(password: str) -> None:
    """Refuse passwords too short to resist guessing (ValueError naming the rule)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")


def _public(row: Any) -> dict[str, Any]:
    account = dict(row._mapping)
    account.pop("password_hash", None)
    return account


class Accounts:
    """Creates and checks staff accounts, their tokens and their web sessions."""

    def __init__(self, engine: AsyncEngine, policy: Policy | None = None) -> None:
        self.engine = engine
        self.policy = policy or Policy()

    # -- accounts ---------------------------------------------------------------------------

    async def create(
        self, username: str, display_name: str, role: Role, password: str, created_by: str
    ) -> dict[str, Any]:
        """A new account; 409 if the username is taken, ValueError for a bad name/password."""
        if not valid_username(username):
            raise ValueError("username must be 2-63 lower-case letters, digits, '.', '-' or '_'")
        check_password(password)
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        row = {
            "username": username,
            "display_name": display_name.strip() or username,
            "role": role.value,
            "password_hash": password_hash,
            "created_at": datetime.now(UTC),
            "created_by": created_by,
            "failed_logins": 0,
        }
        async with self.engine.begin() as conn:
            if await self._row(conn, username) is not None:
                raise Conflict(f"account '{username}' exists already")
            await conn.execute(staff_accounts.insert().values(**row))
        row.pop("password_hash")
        return row | {"disabled_at": None, "locked_until": None, "last_login_at": None}

    async def list_accounts(self) -> list[dict[str, Any]]:
        """Every account (never the password hash), by username."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(staff_accounts).order_by(staff_accounts.c.username))
            return [_public(r) for r in rows]

    async def get(self, username: str) -> dict[str, Any]:
        """One account (never the password hash)."""
        async with self.engine.connect() as conn:
            row = await self._row(conn, username)
        if row is None:
            raise NotFound(f"account '{username}' not found")
        return _public(row)

    async def exists(self, username: str) -> bool:
        """Whether an account of that name exists (disabled or not)."""
        async with self.engine.connect() as conn:
            return await self._row(conn, username) is not None

    async def disable(self, username: str) -> dict[str, Any]:
        """Disable an account at once: its sessions end and its tokens stop working."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(disabled_at=now)
                .returning(*staff_accounts.c)
            )
            row = result.first()
            if row is None:
                raise NotFound(f"account '{username}' not found")
            await conn.execute(delete(staff_sessions).where(staff_sessions.c.username == username))
        return _public(row)

    async def enable(self, username: str) -> dict[str, Any]:
        """Enable a disabled account again (and lift any lockout)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(disabled_at=None, failed_logins=0, locked_until=None)
                .returning(*staff_accounts.c)
            )
            row = result.first()
        if row is None:
            raise NotFound(f"account '{username}' not found")
        return _public(row)

    async def set_role(self, username: str, role: Role) -> dict[str, Any]:
        """Change an account's role; open sessions see the new role on their next request."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(role=role.value)
                .returning(*staff_accounts.c)
            )
            row = result.first()
        if row is None:
            raise NotFound(f"account '{username}' not found")
        return _public(row)

    async def set_password(self, username: str, password: str) -> None:
        """A new password; every open session of the account ends."""
        check_password(password)
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(password_hash=password_hash, failed_logins=0, locked_until=None)
            )
            if result.rowcount == 0:
                raise NotFound(f"account '{username}' not found")
            await conn.execute(delete(staff_sessions).where(staff_sessions.c.username == username))

    @staticmethod
    async def _row(conn: AsyncConnection, username: str) -> Any:
        result = await conn.execute(
            select(staff_accounts).where(staff_accounts.c.username == username)
        )
        return result.first()

    # -- passwords and sessions -------------------------------------------------------------

    async def verify_password(self, username: str, password: str) -> Staff:
        """The staff member if the password is right; LoginRefused otherwise.

        Failed attempts are counted per account; after ``max_failures`` in a row the account
        is locked for ``lockout`` (even the right password is refused meanwhile).
        """
        now = datetime.now(UTC)
        async with self.engine.connect() as conn:
            row = await self._row(conn, username)
        if len(password) > MAX_PASSWORD_LENGTH:
            raise LoginRefused
        if row is None or row.disabled_at is not None:
            await asyncio.to_thread(self._verify, _dummy_hash(), password)
            raise LoginRefused
        if row.locked_until is not None and row.locked_until > now:
            raise LoginRefused(row.locked_until)
        if not await asyncio.to_thread(self._verify, row.password_hash, password):
            await self._count_failure(username, now)
            raise LoginRefused
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if _hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = await asyncio.to_thread(_hasher.hash, password)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(staff_accounts).where(staff_accounts.c.username == username).values(values)
            )
        return Staff(row.username, Role(row.role))

    @staticmethod
    def _verify(password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _count_failure(self, username: str, now: datetime) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(failed_logins=staff_accounts.c.failed_logins + 1)
                .returning(staff_accounts.c.failed_logins)
            )
            failures = result.scalar_one()
            if failures >= self.policy.max_failures:
                await conn.execute(
                    update(staff_accounts)
                    .where(staff_accounts.c.username == username)
                    .values(locked_until=now + self.policy.lockout, failed_logins=0)
                )

    async def login(self, username: str, password: str) -> LoginResult:
        """Check the password and open a web session (LoginRefused if wrong or locked)."""
        staff = await self.verify_password(username, password)
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            # Expired sessions are swept here: logins are rare enough to carry the cost.
            await conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
            await conn.execute(
                staff_sessions.insert().values(
                    id_hash=_sha256(cookie),
                    username=staff.username,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + self.policy.session_lifetime,
                    last_seen_at=now,
                )
            )
        return LoginResult(cookie, WebSession(staff, csrf))

    async def session(self, cookie: str) -> WebSession | None:
        """The live session a cookie value belongs to; None if unknown, expired or idle."""
        if not cookie or len(cookie) > 128:
            return None
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(
                        staff_sessions.c.id_hash,
                        staff_sessions.c.csrf_token,
                        staff_sessions.c.expires_at,
                        staff_sessions.c.last_seen_at,
                        staff_accounts.c.username,
                        staff_accounts.c.role,
                        staff_accounts.c.disabled_at,
                    )
                    .join(staff_accounts, staff_accounts.c.username == staff_sessions.c.username)
                    .where(staff_sessions.c.id_hash == _sha256(cookie))
                )
            ).first()
            if row is None:
                return None
            idle = now - row.last_seen_at > self.policy.session_idle
            if row.expires_at <= now or idle or row.disabled_at is not None:
                await conn.execute(
                    delete(staff_sessions).where(staff_sessions.c.id_hash == row.id_hash)
                )
                return None
            if now - row.last_seen_at > USE_RESOLUTION:
                await conn.execute(
                    update(staff_sessions)
                    .where(staff_sessions.c.id_hash == row.id_hash)
                    .values(last_seen_at=now)
                )
        return WebSession(Staff(row.username, Role(row.role)), row.csrf_token)

    async def logout(self, cookie: str) -> None:
        """End the session of this cookie (nothing happens for an unknown one)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(staff_sessions).where(staff_sessions.c.id_hash == _sha256(cookie))
            )

    # -- API tokens -------------------------------------------------------------------------

    async def create_token(self, username: str, name: str) -> tuple[dict[str, Any], str]:
        """A new API token of an account: its row, and the token (shown once, never stored)."""
        token = f"{TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
        row = {
            "id": new_id(),
            "username": username,
            "name": name,
            "token_hash": _sha256(token),
            "prefix": token[:10],
            "created_at": datetime.now(UTC),
        }
        async with self.engine.begin() as conn:
            account = await self._row(conn, username)
            if account is None:
                raise NotFound(f"account '{username}' not found")
            if account.disabled_at is not None:
                raise Conflict(f"account '{username}' is disabled")
            await conn.execute(staff_tokens.insert().values(**row))
        row.pop("token_hash")
        return row | {"revoked_at": None, "last_used_at": None}, token

    async def tokens(self, username: str | None = None) -> list[dict[str, Any]]:
        """Tokens (never the tokens themselves), newest first; one account's or all."""
        query = select(
            staff_tokens.c.id,
            staff_tokens.c.username,
            staff_tokens.c.name,
            staff_tokens.c.prefix,
            staff_tokens.c.created_at,
            staff_tokens.c.revoked_at,
            staff_tokens.c.last_used_at,
        ).order_by(staff_tokens.c.created_at.desc())
        if username is not None:
            query = query.where(staff_tokens.c.username == username)
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def revoke_token(self, token_id: str, username: str | None = None) -> dict[str, Any]:
        """Revoke a token at once; with ``username``, only that account's own token."""
        conditions = [staff_tokens.c.id == token_id]
        if username is not None:
            conditions.append(staff_tokens.c.username == username)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(staff_tokens)
                .where(*conditions)
                .values(revoked_at=datetime.now(UTC))
                .returning(
                    staff_tokens.c.id,
                    staff_tokens.c.username,
                    staff_tokens.c.name,
                    staff_tokens.c.prefix,
                    staff_tokens.c.created_at,
                    staff_tokens.c.revoked_at,
                    staff_tokens.c.last_used_at,
                )
            )
            row = result.first()
        if row is None:
            raise NotFound(f"token {token_id} not found")
        return dict(row._mapping)

    async def staff_for_token(self, token: str) -> Staff | None:
        """The staff member a live token belongs to; None for anything else."""
        if not token.startswith(f"{TOKEN_PREFIX}_") or len(token) > 128:
            return None
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(
                        staff_tokens.c.id,
                        staff_tokens.c.last_used_at,
                        staff_accounts.c.username,
                        staff_accounts.c.role,
                    )
                    .join(staff_accounts, staff_accounts.c.username == staff_tokens.c.username)
                    .where(
                        staff_tokens.c.token_hash == _sha256(token),
                        staff_tokens.c.revoked_at.is_(None),
                        staff_accounts.c.disabled_at.is_(None),
                    )
                )
            ).first()
            if row is None:
                return None
            if row.last_used_at is None or now - row.last_used_at > USE_RESOLUTION:
                await conn.execute(
                    update(staff_tokens).where(staff_tokens.c.id == row.id).values(last_used_at=now)
                )
        return Staff(row.username, Role(row.role))
