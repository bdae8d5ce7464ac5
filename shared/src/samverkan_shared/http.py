"""HTTP plumbing every service shares: token auth, body-size limit, health and readiness."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from samverkan_shared.statemachine import Conflict, InvalidInput, NotFound

__all__ = [
    "OPERATOR",
    "BodySizeLimit",
    "IdPath",
    "KeyCheck",
    "RejectNul",
    "ResponseModel",
    "health_router",
    "install",
    "token_guard",
]


_bearer = HTTPBearer(auto_error=False)

IdPath = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="A UUID",
    ),
]
"""An id in a URL path: anything but a UUID is a 422 naming the parameter, not a lookup."""


class ResponseModel(BaseModel):
    """Base of every response body: each key is always present (null where no value)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


KeyCheck = Callable[[str], Awaitable[str | None]]
"""The principal a bearer credential belongs to (an API key's id, say), or None."""

OPERATOR = "operator"


def token_guard(expected: str, accept: KeyCheck | None = None) -> Callable[..., Awaitable[str]]:
    """Refuse (401) unless the bearer is the operator token or a key ``accept`` knows.

    Returns the principal, so a route can scope what it records (idempotency keys) to it.
    """

    async def guard(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> str:
        if creds is not None and secrets.compare_digest(creds.credentials, expected):
            return OPERATOR
        principal = await accept(creds.credentials) if creds is not None and accept else None
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing or wrong bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return principal

    return guard


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses request bodies above a limit with 413, before any handler runs."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _reject(self) -> JSONResponse:
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["body"],
                        "msg": f"request body exceeds the limit of {self.max_bytes} bytes",
                        "type": "too_large",
                    }
                ]
            },
            status_code=413,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and int(declared) > self.max_bytes:
            await self._reject()(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._reject()(scope, receive, send)


def health_router(readiness: Callable[[], Awaitable[dict[str, str]]]) -> APIRouter:
    """``/healthz`` (the process answers) and ``/readyz`` (every dependency is ok)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(v == "ok" for v in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router


def install(
    app: FastAPI, readiness: Callable[[], Awaitable[dict[str, str]]], max_bytes: int
) -> None:
    """Add the shared routes, middleware and error mapping to a service's app."""
    app.include_router(health_router(readiness))
    app.add_middleware(RejectNul)
    app.add_middleware(BodySizeLimit, max_bytes=max_bytes)  # outermost: limits what RejectNul reads

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        # The shape of FastAPI's own validation errors, so callers handle one format.
        detail = [{"loc": list(exc.loc), "msg": exc.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone UTF-16 surrogates


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


class RejectNul:
    """Refuses NUL characters (and lone surrogates) in the path, query or JSON body: 422.

    PostgreSQL text cannot hold them; without this a request carrying one would fail inside
    the database with a 500 instead of a clear client error naming where.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _reject(where: str) -> JSONResponse:
        msg = "NUL characters and lone surrogates are not accepted"
        detail = [{"loc": [where], "msg": msg, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or "%00" in scope.get("query_string", b"").decode(
            "latin-1"
        ):
            await self._reject("query")(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if b"\x00" in body or (b"\\u" in body and _json_unstorable(body)):
            await self._reject("body")(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _json_unstorable(body: bytes) -> bool:
    try:
        return _unstorable(json.loads(body))
    except ValueError:
        return False  # not JSON: the route's own validation answers
