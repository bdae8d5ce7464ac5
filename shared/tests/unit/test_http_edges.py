"""The HTTP edge: NUL characters and oversized bodies are refused before any route runs."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from samverkan_shared.http import install


async def _ready() -> dict[str, str]:
    return {"database": "ok"}


def _app(calls: list[Any]) -> FastAPI:
    app = FastAPI()
    install(app, _ready, max_bytes=1024)

    @app.post("/things")
    async def things(body: dict[str, Any]) -> dict[str, Any]:
        calls.append(body)
        return body

    @app.get("/things")
    async def find(q: str = "") -> dict[str, str]:
        calls.append(q)
        return {"q": q}

    return app


async def _client(calls: list[Any]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(calls)), base_url="http://t")


async def test_nul_in_a_json_string_is_a_422_naming_the_body() -> None:
    calls: list[Any] = []
    async with await _client(calls) as client:
        response = await client.post("/things", json={"title": "a\x00b"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert calls == []


async def test_nul_in_the_query_is_a_422_naming_the_query() -> None:
    calls: list[Any] = []
    async with await _client(calls) as client:
        response = await client.get("/things", params={"q": "x\x00"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query"]
    assert calls == []


async def test_an_escaped_backslash_u_is_ordinary_text() -> None:
    calls: list[Any] = []
    async with await _client(calls) as client:
        response = await client.post("/things", json={"title": "C:\\u0000 is a path"})
    assert response.status_code == 200
    assert calls == [{"title": "C:\\u0000 is a path"}]


async def test_a_body_over_the_limit_is_a_413_before_the_route() -> None:
    calls: list[Any] = []
    async with await _client(calls) as client:
        response = await client.post("/things", json={"title": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert calls == []


async def test_a_lone_surrogate_is_a_422_too() -> None:
    calls: list[Any] = []
    async with await _client(calls) as client:
        response = await client.post(
            "/things",
            content=b'{"title": "x\\ud800y"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 422
    assert calls == []
