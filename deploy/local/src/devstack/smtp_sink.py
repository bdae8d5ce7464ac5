"""A local SMTP sink: keeps every message as a file and shows them over HTTP."""

from __future__ import annotations

import email
import email.policy
import json
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["MailStore", "SinkHandler", "start_sink"]


class MailStore:
    """Messages as ``.eml`` files in a folder, newest last."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, raw: bytes) -> Path:
        """Store one message."""
        path = self.folder / f"{time.time_ns()}.eml"
        path.write_bytes(raw)
        return path

    def messages(self) -> list[dict[str, Any]]:
        """Every stored message, parsed: from, to, subject, body."""
        out = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            out.append(
                {
                    "file": path.name,
                    "from": str(msg["From"]),
                    "to": str(msg["To"]),
                    "subject": str(msg["Subject"]),
                    "message_id": str(msg["Message-ID"]),
                    "body": body.get_content() if body else "",
                }
            )
        return out


class SinkHandler:
    """aiosmtpd handler that accepts every message and stores it."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Store the message; always 250."""
        content = envelope.original_content or b""
        self.store.save(content if isinstance(content, bytes) else content.encode())
        return "250 Message accepted for delivery"


def start_sink(folder: Path, host: str, port: int) -> tuple[Controller, MailStore]:
    """Start an SMTP server in a background thread."""
    store = MailStore(folder)
    controller = Controller(SinkHandler(store), hostname=host, port=port)
    controller.start()
    return controller, store


def render_index(store: MailStore) -> str:
    """A plain HTML page listing captured mail."""
    rows = "".join(
        f"<tr><td>{m['to']}</td><td>{m['subject']}</td><td><pre>{m['body']}</pre></td></tr>"
        for m in reversed(store.messages())
    )
    return (
        "<!doctype html><meta charset=utf-8><title>Captured mail</title>"
        "<h1>Captured mail</h1><table border=1 cellpadding=4>"
        f"<tr><th>To</th><th>Subject</th><th>Body</th></tr>{rows}</table>"
    )


def as_json(store: MailStore) -> str:
    """Captured mail as JSON."""
    return json.dumps(store.messages(), ensure_ascii=False, indent=2)
