"""API keys for the region's IT systems: scoped to this region, hashed at rest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from regional_council.adapters.tables import api_keys
from samverkan_shared.db import autocommit
from samverkan_shared.ids import new_id
from samverkan_shared.statemachine import NotFound

__all__ = ["ApiKeys"]

PREFIX = "svk"
USE_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """Creates, lists, revokes and checks the keys of one region."""

    def __init__(self, engine: AsyncEngine, region: str) -> None:
        self.engine = engine
        self.region = region

    async def create(self, name: str) -> tuple[dict[str, Any], str]:
        """A new key: its row, and the key itself (shown once, never stored)."""
        key = f"{PREFIX}_{self.region}_{secrets.token_urlsafe(32)}"
        row = {
            "id": new_id(),
            "region": self.region,
            "name": name,
            "key_hash": _hash(key),
            "prefix": key[: len(PREFIX) + 1 + len(self.region) + 5],
            "created_at": datetime.now(UTC),
        }
        async with self.engine.begin() as conn:
            await conn.execute(api_keys.insert().values(**row))
        return row, key

    async def revoke(self, key_id: str) -> dict[str, Any]:
        """Revoke a key at once; requests with it get 401 from now on."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.region == self.region)
                .values(revoked_at=datetime.now(UTC))
                .returning(*api_keys.c)
            )
            row = result.first()
        if row is None:
            raise NotFound(f"API key {key_id} not found")
        return dict(row._mapping)

    async def list(self) -> list[dict[str, Any]]:
        """Every key of this region, newest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(api_keys)
                .where(api_keys.c.region == self.region)
                .order_by(api_keys.c.created_at.desc())
            )
            return [dict(r._mapping) for r in rows]

    async def principal(self, key: str) -> str | None:
        """``key:<id>`` for a live key of this region; None for anything else.

        Read on every request (a revoked key stops at once, in every process), outside a
        transaction: neither the check nor the use it records needs one.
        """
        now = datetime.now(UTC)
        async with autocommit(self.engine) as conn:
            row = (
                await conn.execute(_LIVE_KEY, {"b_hash": _hash(key), "b_region": self.region})
            ).first()
            if row is None:
                return None
            # Record use at most once a minute: not a write on every request.
            if row.last_used_at is None or now - row.last_used_at > USE_RESOLUTION:
                await conn.execute(
                    update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now)
                )
        return f"key:{row.id}"


_LIVE_KEY = select(api_keys.c.id, api_keys.c.last_used_at).where(
    api_keys.c.key_hash == bindparam("b_hash"),
    api_keys.c.region == bindparam("b_region"),
    api_keys.c.revoked_at.is_(None),
)
"""Built once: every request with an API key runs it."""
