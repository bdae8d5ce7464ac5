"""HTTP API of staff accounts and API tokens: who am I, tokens of my own, accounts (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from national_council.domain.staff import USERNAME_PATTERN, Role
from national_council.entrypoints.access import Admin, Reader
from national_council.service_layer.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Accounts,
)
from samverkan_shared.http import OPERATOR, IdPath, ResponseModel
from samverkan_shared.statemachine import Conflict

__all__ = ["build_accounts_router"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AccountIn(_Strict):
    """A new staff account."""

    username: str = Field(pattern=USERNAME_PATTERN, description="Lower-case login name")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class TokenIn(_Strict):
    """A new API token of the caller's own account."""

    name: str = Field(min_length=1, max_length=200, description="What the token is for")


class MeOut(ResponseModel):
    """The caller."""

    username: str
    role: Role


class AccountOut(ResponseModel):
    """A staff account (never its password)."""

    username: str
    display_name: str
    role: Role
    created_at: datetime
    created_by: str
    disabled_at: datetime | None = None
    locked_until: datetime | None = None
    last_login_at: datetime | None = None


class TokenOut(ResponseModel):
    """An API token (never the token itself)."""

    id: str
    username: str
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class NewTokenOut(TokenOut):
    """A token just created: the only time the token itself is shown."""

    token: str = Field(description="Send as 'Authorization: Bearer <token>'; shown once")


UsernamePath = Path(pattern=USERNAME_PATTERN)


def build_accounts_router(accounts: Accounts) -> APIRouter:
    """``/me``, ``/tokens`` (own tokens) and ``/staff`` (accounts, admin only)."""
    router = APIRouter(tags=["accounts"])

    @router.get("/me", response_model=MeOut)
    async def me(staff: Reader) -> dict[str, Any]:
        """Who the credentials belong to, and their role."""
        return {"username": staff.username, "role": staff.role}

    @router.get("/tokens", response_model=list[TokenOut])
    async def my_tokens(staff: Reader) -> list[dict[str, Any]]:
        """The caller's own tokens, newest first."""
        return await accounts.tokens(staff.username)

    @router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=NewTokenOut)
    async def create_token(body: TokenIn, staff: Reader) -> dict[str, Any]:
        """A new token of the caller's own account, with the caller's role."""
        if staff.username == OPERATOR:
            raise Conflict("the operator token has no account to hold tokens; use an account")
        row, token = await accounts.create_token(staff.username, body.name)
        return row | {"token": token}

    @router.delete("/tokens/{token_id}", response_model=TokenOut)
    async def revoke_token(token_id: IdPath, staff: Reader) -> dict[str, Any]:
        """Revoke one of the caller's tokens (an admin: anyone's) at once."""
        owner = None if staff.may(Role.ADMIN) else staff.username
        return await accounts.revoke_token(token_id, owner)

    @router.get("/staff", response_model=list[AccountOut])
    async def list_staff(_: Admin) -> list[dict[str, Any]]:
        """Every staff account."""
        return await accounts.list_accounts()

    @router.post("/staff", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
    async def create_staff(body: AccountIn, staff: Admin) -> dict[str, Any]:
        """Create a staff account (409 if the username is taken)."""
        return await accounts.create(
            body.username, body.display_name, body.role, body.password, staff.username
        )

    @router.post("/staff/{username}/disable", response_model=AccountOut)
    async def disable_staff(staff: Admin, username: str = UsernamePath) -> dict[str, Any]:
        """Disable an account at once: its sessions end, its tokens stop working."""
        if username == staff.username:
            raise Conflict("you cannot disable your own account")
        return await accounts.disable(username)

    @router.post("/staff/{username}/enable", response_model=AccountOut)
    async def enable_staff(_: Admin, username: str = UsernamePath) -> dict[str, Any]:
        """Enable a disabled account again (and lift a lockout)."""
        return await accounts.enable(username)

    return router
