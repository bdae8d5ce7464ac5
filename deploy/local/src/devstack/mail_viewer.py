"""The SMTP sink process: SMTP on one port, captured mail over HTTP on another."""

from __future__ import annotations

from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from devstack.smtp_sink import MailStore, render_index, start_sink

__all__ = ["serve_sink"]


def viewer(store: MailStore) -> FastAPI:
    """``/`` (HTML) and ``/messages`` (JSON) over the captured mail."""
    app = FastAPI(title="Captured mail")

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return render_index(store)

    @app.get("/messages")
    async def messages() -> JSONResponse:
        return JSONResponse(store.messages())

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def serve_sink(folder: Path, smtp_port: int, http_port: int, host: str = "127.0.0.1") -> None:
    """Run until stopped."""
    controller, store = start_sink(folder, host, smtp_port)
    try:
        uvicorn.run(viewer(store), host=host, port=http_port, log_level="warning")
    finally:
        controller.stop()
