"""Idempotency keys: a retried create or escalate returns the first answer, never a second issue.

The key and the response are stored in the transaction that does the work, so either both
exist or neither does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from regional_council.adapters.tables import idempotency_keys

__all__ = ["IdempotencyKeyReused", "IdempotentRequest", "remember", "replay"]


class IdempotencyKeyReused(ValueError):
    """The same key came with a different request: a client bug, refused with 422."""


@dataclass(frozen=True)
class IdempotentRequest:
    """Who asked, with which key, for what (a hash of the operation and its body)."""

    principal: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, principal: str, key: str, operation: str, body: Any) -> IdempotentRequest:
        """Hash the operation and the body, so a reused key with other content is caught."""
        canonical = json.dumps(
            {"op": operation, "body": to_jsonable_python(body)}, sort_keys=True, ensure_ascii=False
        )
        return cls(principal, key, hashlib.sha256(canonical.encode()).hexdigest())


async def replay(conn: AsyncConnection, req: IdempotentRequest) -> dict[str, Any] | None:
    """The stored response for this key, or None if the key is new."""
    row = (
        await conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.principal == req.principal, idempotency_keys.c.key == req.key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != req.request_hash:
        raise IdempotencyKeyReused(f"Idempotency-Key {req.key!r} was used for a different request")
    return dict(row.response)


async def remember(conn: AsyncConnection, req: IdempotentRequest, response: dict[str, Any]) -> None:
    """Store the response under the key, in the caller's transaction."""
    await conn.execute(
        idempotency_keys.insert().values(
            principal=req.principal,
            key=req.key,
            request_hash=req.request_hash,
            status_code=201,
            response=to_jsonable_python(response),
            created_at=datetime.now(UTC),
        )
    )
