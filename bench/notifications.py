"""Notifications: deliveries per second to a real SMTP server and a real webhook receiver.

The notifications service runs as its own process (PostgreSQL, its own Tansu) with the
settings it ships with. People subscribe by e-mail and systems by webhook, every one to
every event; then ``events`` signed escalations go onto the regions' upstream topics at
once, as the regional services would put them. Deliveries are counted where they arrive:

- an aiosmtpd server on loopback that accepts every message (250) and notes its Message-ID;
- an HTTP server on loopback (uvicorn) that verifies every webhook with the Standard
  Webhooks library before it answers 204 — a delivery that does not verify is not counted.

Rate = deliveries / (last arrival - first arrival), per channel and both together, so
process start and consumer-group joins do not count. Duplicates (the same Message-ID or
webhook-id twice) are reported, never counted twice.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from standardwebhooks import Webhook

from bench.infra import RUN_DIR, broker, databases, escalations, produce, stack
from devstack.broker import free_port
from samverkan_shared.settings import DEV_API_TOKEN

__all__ = ["NotificationsResult", "run"]

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Arrivals:
    """Ids and arrival times of one channel, thread-safe."""

    ids: Counter[str] = field(default_factory=Counter)
    first: float = 0.0
    last: float = 0.0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ident: str) -> None:
        now = time.perf_counter()
        with self.lock:
            self.ids[ident] += 1
            self.first = self.first or now
            self.last = now

    @property
    def distinct(self) -> int:
        return len(self.ids)

    @property
    def duplicates(self) -> int:
        return sum(self.ids.values()) - len(self.ids)

    def rate(self) -> float:
        span = self.last - self.first
        return (self.distinct - 1) / span if self.distinct > 1 and span > 0 else float("nan")


class CountingSmtp:
    """aiosmtpd handler: accept every message, note its Message-ID."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        match = MESSAGE_ID.search(raw if isinstance(raw, bytes) else raw.encode())
        self.arrivals.add(match.group(1).decode() if match else uuid4().hex)
        return "250 OK"


class Receiver:
    """A minimal ASGI webhook receiver: ``POST /hooks/<name>``, verified with its secret."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals
        self.secrets: dict[str, Webhook] = {}
        self.port = free_port()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",  # a bound method defeats uvicorn's guess
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="receiver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def app(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        hook = self.secrets.get(scope["path"].rsplit("/", 1)[-1])
        status = 404
        if hook is not None:
            try:
                hook.verify(body, headers)
                self.arrivals.add(headers["webhook-id"])
                status = 204
            except Exception:
                with self.arrivals.lock:
                    self.arrivals.refused += 1
                status = 401
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass(frozen=True)
class NotificationsResult:
    """Deliveries per second by channel, and whether every one arrived exactly once."""

    events: int
    people: int
    endpoints: int
    mail: float
    webhooks: float
    total: float
    mail_got: int
    mail_expected: int
    hooks_got: int
    hooks_expected: int
    duplicates: int
    refused: int

    def rows(self) -> list[tuple[str, str, str]]:
        shape = f"{self.events:,} events"
        return [
            (
                "notifications",
                f"e-mail to SMTP ({shape} x {self.people} people)",
                f"{self.mail:,.0f} deliveries/s ({self.mail_got:,} of {self.mail_expected:,})",
            ),
            (
                "notifications",
                f"webhooks, verified ({shape} x {self.endpoints} endpoints)",
                f"{self.webhooks:,.0f} deliveries/s ({self.hooks_got:,} of {self.hooks_expected:,})",
            ),
            (
                "notifications",
                "both channels together",
                f"{self.total:,.0f} deliveries/s; {self.duplicates} duplicates, "
                f"{self.refused} signatures refused",
            ),
        ]


async def _subscribe(url: str, receiver: Receiver, people: int, endpoints: int) -> None:
    """People by e-mail and systems by webhook, each to every event, no default rules."""
    headers = {"Authorization": f"Bearer {DEV_API_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
        for i in range(people):
            body = {"name": f"Bänk {i}", "email": f"bench{i}@example.se", "default_rules": False}
            made = (await api.post("/subscribers", json=body)).raise_for_status().json()
            (
                await api.post(
                    f"/subscribers/{made['id']}/subscriptions", json={"channel": "email"}
                )
            ).raise_for_status()
        for j in range(endpoints):
            name = f"system{j}"
            body = {"kind": "system", "name": name, "webhook_url": f"{receiver.url}/{name}"}
            made = (await api.post("/subscribers", json=body)).raise_for_status().json()
            receiver.secrets[name] = Webhook(made["secret"])
            (
                await api.post(
                    f"/subscribers/{made['id']}/subscriptions", json={"channel": "webhook"}
                )
            ).raise_for_status()


def _wait(mail: Arrivals, hooks: Arrivals, want_mail: int, want_hooks: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mail.distinct >= want_mail and hooks.distinct >= want_hooks:
            time.sleep(2)  # anything sent twice would arrive now
            return
        time.sleep(0.2)


def run(
    events: int = 1000,
    people: int = 10,
    endpoints: int = 10,
    timeout: float = 600,
    profile: Path | None = None,
) -> NotificationsResult:
    """One notifications process, SMTP server and receiver; ``events`` x subscribers deliveries."""
    mail, hooks = Arrivals(), Arrivals()
    smtp = Controller(CountingSmtp(mail), hostname="127.0.0.1", port=free_port())
    receiver = Receiver(hooks)
    smtp.start()
    receiver.start()
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            broker() as bootstrap,
            databases(["notifications"]) as dbs,
            stack(
                ["notifications"],
                bootstrap=bootstrap,
                dbs=dbs,
                keys=Path(tmp) / "keys",
                logs=RUN_DIR / "logs" / "notifications",
                smtp_port=smtp.port,
                profile={"notifications": profile} if profile else None,
            ) as running,
        ):
            spec, _proc = running.processes["notifications"]
            asyncio.run(_subscribe(spec.url, receiver, people, endpoints))
            records = escalations(events, Path(tmp) / "keys")
            asyncio.run(produce(bootstrap, records))
            _wait(mail, hooks, events * people, events * endpoints, timeout)
            if profile:  # let pyinstrument write before the stack's short stop
                from bench.profile import stop_profiled

                stop_profiled(running, "notifications")
    finally:
        receiver.stop()
        smtp.stop()
    first = min(t for t in (mail.first, hooks.first) if t) if (mail.first or hooks.first) else 0.0
    last = max(mail.last, hooks.last)
    got = mail.distinct + hooks.distinct
    return NotificationsResult(
        events=events,
        people=people,
        endpoints=endpoints,
        mail=mail.rate(),
        webhooks=hooks.rate(),
        total=(got - 1) / (last - first) if got > 1 and last > first else float("nan"),
        mail_got=mail.distinct,
        mail_expected=events * people,
        hooks_got=hooks.distinct,
        hooks_expected=events * endpoints,
        duplicates=mail.duplicates + hooks.duplicates,
        refused=hooks.refused,
    )


if __name__ == "__main__":
    for row in run(events=100, people=5, endpoints=5).rows():
        print(row)
