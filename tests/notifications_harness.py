"""A private notifications service for its own tests: own broker, database, SMTP server and
webhook receiver, so thousands of events touch nothing else of the session's network.

Everything is real: Tansu, PostgreSQL, the service as its own process (so a test can
kill -9 it), an aiosmtpd server, and an HTTP receiver that verifies every webhook's
signature with the ``standardwebhooks`` library.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from standardwebhooks import Webhook

from devstack.broker import Tansu, free_port
from devstack.stack import BIN, ServiceSpec, Stack
from samverkan_shared.contracts import AssessmentPublished
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.settings import DEV_API_TOKEN
from samverkan_shared.topics import all_topics, downstream
from tests.infra import scratch_database

__all__ = ["Mailbox", "Private", "Receiver", "body_of", "private_notifications"]


class Mailbox:
    """An SMTP server that keeps every message in memory, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        # Read once on arrival: parsing headers again at every poll would cost the test
        # process more CPU than the service spends sending.
        self.index: list[tuple[str, str]] = []  # (To, Message-ID)
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:  # noqa: N802
        """Keep the message; 250."""
        raw = envelope.original_content or b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        entry = (str(msg["To"]), str(msg["Message-ID"]))
        with self.lock:
            self.messages.append(msg)
            self.index.append(entry)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Messages addressed to ``address``."""
        with self.lock:
            return [
                m for m, (to, _) in zip(self.messages, self.index, strict=True) if address in to
            ]

    def ids(self) -> Counter[str]:
        """How often each Message-ID arrived."""
        with self.lock:
            return Counter(message_id for _, message_id in self.index)


@dataclass
class Hook:
    """How one endpoint of the receiver behaves and what it got."""

    secrets: list[str]
    status: int = 204
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0


class Receiver:
    """A real HTTP server: ``POST /hooks/<name>``; verifies with standardwebhooks."""

    def __init__(self) -> None:
        self.hooks: dict[str, Hook] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                hook = receiver.hooks.get(self.path.rsplit("/", 1)[-1])
                if hook is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                time.sleep(hook.delay)
                status = hook.status
                if 200 <= status < 300:
                    status = receiver.accept(hook, body, dict(self.headers))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def accept(self, hook: Hook, body: bytes, headers: dict[str, str]) -> int:
        """Verify against every configured secret; 401 if none verifies."""
        lowered = {k.lower(): v for k, v in headers.items()}
        for secret in hook.secrets:
            try:
                payload = Webhook(secret).verify(body, lowered)
            except Exception:
                continue
            with self.lock:
                hook.received.append(
                    {
                        "id": lowered["webhook-id"],
                        "payload": payload,
                        "signature": lowered["webhook-signature"],
                        "secret": secret,
                        "at": time.monotonic(),
                    }
                )
            return 204
        with self.lock:
            hook.refused += 1
        return 401

    def add(self, name: str, secret: str, **behaviour: Any) -> str:
        """An endpoint; returns its URL."""
        self.hooks[name] = Hook([secret], **behaviour)
        return f"{self.url}/{name}"


@dataclass
class Private:
    """The running private service and its surroundings."""

    spec: ServiceSpec
    stack: Stack
    bootstrap: str
    mailbox: Mailbox
    receiver: Receiver
    logs: Path

    @property
    def url(self) -> str:
        return self.spec.url

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {DEV_API_TOKEN}"}, timeout=10
        )

    def restart(self, sig: int) -> None:
        """Stop (SIGTERM or SIGKILL) and start again; wait until ready."""
        self.stack.stop(self.spec.name, sig)
        self.stack.start(self.spec)
        self.stack.wait_ready(timeout=60)

    def log(self) -> str:
        return (self.logs / f"{self.spec.name}.log").read_text(errors="replace")


def _digest_zone() -> str:
    # The digest hour is 23 in a zone where it is not yet 23, so only the tests' own
    # POST /digests/run makes digests (never the scheduler's own tick, mid-test).
    return "UTC" if datetime.now(UTC).hour < 22 else "Etc/GMT+12"


@contextmanager
def private_notifications(tmp: Path, **env: str) -> Iterator[Private]:
    """Tansu, a fresh database, SMTP server, receiver and the service, all stopped after."""
    broker = Tansu(port=free_port(), log_path=tmp / "tansu.log").start()
    mailbox, receiver = Mailbox(), Receiver()
    mailbox.controller.start()
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    stack = Stack(tmp / "logs")
    try:
        asyncio.run(ensure_topics(broker.bootstrap, all_topics()))
        with scratch_database("notifications") as database_url:
            port = free_port()
            spec = ServiceSpec(
                "notifications",
                [str(BIN / "notifications"), "serve"],
                port,
                {
                    "SAMVERKAN_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                    "SAMVERKAN_DATABASE_URL": database_url,
                    "SAMVERKAN_HTTP_PORT": str(port),
                    "SAMVERKAN_SMTP_PORT": str(mailbox.port),
                    "SAMVERKAN_KAFKA_SESSION_TIMEOUT_MS": "6000",
                    "SAMVERKAN_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                    "SAMVERKAN_LOG_FORMAT": "json",
                    "SAMVERKAN_LOG_LEVEL": "WARNING",
                    "SAMVERKAN_RETRY_BASE_SECONDS": "0.2",
                    "SAMVERKAN_RETRY_MAX_DELAY_SECONDS": "1",
                    "SAMVERKAN_CLAIM_LEASE_SECONDS": "3",
                    "SAMVERKAN_WEBHOOK_TIMEOUT_SECONDS": "2",
                    "SAMVERKAN_DIGEST_HOUR": "23",
                    "SAMVERKAN_DIGEST_TIMEZONE": _digest_zone(),
                    **env,
                },
            )
            stack.start(spec)
            try:
                stack.wait_ready(timeout=60)
                yield Private(spec, stack, broker.bootstrap, mailbox, receiver, tmp / "logs")
            except BaseException:
                log = tmp / "logs" / "notifications.log"
                if log.exists():
                    print(log.read_text(errors="replace")[-4000:])
                raise
            finally:
                stack.stop_all()
    finally:
        receiver.server.shutdown()
        mailbox.controller.stop()
        broker.stop()


def body_of(msg: email.message.EmailMessage, kind: str) -> str:
    """The plain or HTML body of a parsed message."""
    part = msg.get_body((kind,))
    content = part.get_content() if part is not None else ""
    return str(content).replace("\r\n", "\n")


# --- events, as the national and regional services put them on the topics -------------------

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def assessment(regions: list[str], areas: list[str], title: str) -> list[tuple[str, Envelope]]:
    """A national assessment fanned out to each addressed region's downstream topic."""
    event = AssessmentPublished(
        assessment_id=uuid4(),
        assessment_version=1,
        title=title,
        summary="Bristen finns i flera regioner.",
        recommendation="Lärosäten och regioner tar fram en gemensam plan.",
        areas=areas,
        addressed_regions=regions,
        fingerprint="b" * 64,
        published_at=NOW,
    )
    fanout = str(uuid4())
    return [
        (downstream(r), Envelope.wrap(event, NATIONAL_SOURCE, fanout_id=fanout)) for r in regions
    ]
