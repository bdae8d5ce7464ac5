"""The sender: claims due deliveries and sends them concurrently, each channel in its own lane.

E-mail goes through a few kept-open SMTP sessions; webhooks run one at a time per endpoint
(so a receiver sees its events in order and one slow receiver holds up only itself) and
many endpoints at once. Claims live in the database with a lease that a heartbeat renews,
so a second sender process, or this one after a crash, takes over what was left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import deque
from typing import Any
from uuid import uuid4

from notifications.adapters import deliveries_repo as repo
from notifications.adapters import subscribers_repo as subs
from notifications.adapters.clock import now
from notifications.adapters.smtp import SmtpConnection
from notifications.adapters.webhook_client import WebhookClient
from notifications.domain.model import Channel
from notifications.service_layer.links import Links
from notifications.service_layer.messages import email_for, webhook_body
from notifications.service_layer.outcomes import record_failure, record_successes
from notifications.settings import NotificationSettings
from samverkan_shared.drain import DrainLoop, retry_until_done
from samverkan_shared.logs import get_logger
from samverkan_shared.uow import Storage

__all__ = ["Dispatcher"]

log = get_logger(__name__)

FLUSH_SECONDS = 0.05
FLUSH_ROWS = 50


class Dispatcher:
    """Wakes on commit (and polls, for retries that come due and other processes' rows)."""

    def __init__(self, storage: Storage, settings: NotificationSettings, links: Links) -> None:
        self.storage = storage
        self.settings = settings
        self.links = links
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"
        self.email_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.endpoints: dict[str, deque[dict[str, Any]]] = {}
        self.endpoint_tasks: dict[str, asyncio.Task[None]] = {}
        self.held: set[str] = set()
        self.webhook_slots = asyncio.Semaphore(settings.webhook_concurrency)
        # Outcomes are tiny writes: a few connections keep up, and the pool stays free for
        # the consumer and the API however many sends run at once.
        self.db_slots = asyncio.Semaphore(settings.db_writers)
        self.webhooks = WebhookClient(
            settings.webhook_timeout_seconds, settings.webhook_concurrency
        )
        # Successes are written in small batches: one statement per flush instead of a
        # transaction per message. A crash loses what is not written yet: resent, same id.
        # The lanes wait while FLUSH_ROWS are unwritten (``_room``), so that is at most the
        # flush being written and the one filling, each with the sends in flight — not all
        # that a slow or absent database let pile up (seen under load: 119 resent).
        self.sent: list[tuple[dict[str, Any], str | None]] = []
        self._flush_now = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.loop = DrainLoop(
            "notification sender", self.claim_once, settings.sender_idle_poll_seconds
        )
        storage.on_commit.append(self.loop.wake)

    async def run(self) -> None:
        """Send forever; cancel stops it and gives back the claims not yet sent."""
        lanes = [
            asyncio.create_task(self._email_lane(), name=f"email-lane-{i}")
            for i in range(self.settings.email_concurrency)
        ]
        lanes.append(asyncio.create_task(self._heartbeat(), name="claim-heartbeat"))
        lanes.append(asyncio.create_task(self._flusher(), name="outcome-flusher"))
        try:
            await self.loop.run()
        finally:
            for task in [*lanes, *self.endpoint_tasks.values()]:
                task.cancel()
            await asyncio.gather(*lanes, *self.endpoint_tasks.values(), return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._flush()  # what was sent is recorded before the claims go back
                async with self.storage.engine.begin() as conn:
                    await repo.release(conn, self.owner)
            await self.webhooks.close()

    async def claim_once(self) -> int:
        """Claim one batch for the lanes that have room; returns how many were claimed."""
        channels = [Channel.WEBHOOK]
        if self.email_queue.qsize() < self.settings.claim_batch:
            channels.append(Channel.EMAIL)
        busy = [sid for sid, q in self.endpoints.items() if len(q) >= self.settings.endpoint_queue]
        async with self.storage.engine.begin() as conn:
            rows = await repo.claim_due(
                conn,
                self.owner,
                self.settings.claim_lease_seconds,
                self.settings.claim_batch,
                channels=channels,
                skip_subscribers=busy,
            )
        for row in rows:
            if row["id"] in self.held:
                continue  # its lease ran out while it waited here; it is queued already
            self.held.add(row["id"])
            if row["channel"] == Channel.EMAIL:
                self.email_queue.put_nowait(row)
            else:
                self._to_endpoint(row)
        return len(rows)

    def _to_endpoint(self, row: dict[str, Any]) -> None:
        sid = row["subscriber_id"]
        self.endpoints.setdefault(sid, deque()).append(row)
        if sid not in self.endpoint_tasks:
            self.endpoint_tasks[sid] = asyncio.create_task(self._endpoint_lane(sid))

    def _done(self, row: dict[str, Any]) -> None:
        self.held.discard(row["id"])
        self.loop.wake()  # room in a lane: claim more

    async def _email_lane(self) -> None:
        smtp = SmtpConnection(self.settings)
        try:
            while True:
                row = await self.email_queue.get()
                await self._room.wait()
                try:
                    await self._send_email(smtp, row)
                finally:
                    self._done(row)
        finally:
            await smtp.close()

    async def _send_email(self, smtp: SmtpConnection, row: dict[str, Any]) -> None:
        try:
            message, subject = email_for(row, self.settings.mail_from, self.links)
            await smtp.send(message)
        except Exception as exc:  # refused, unreachable, or a template fault: record it
            await self._failed(row, exc)
            return
        self._succeeded(row, subject)

    def _succeeded(self, row: dict[str, Any], subject: str | None) -> None:
        self.sent.append((row, subject))
        if len(self.sent) >= FLUSH_ROWS:
            self._room.clear()
            self._flush_now.set()

    async def _flusher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_now.wait(), FLUSH_SECONDS)
            self._flush_now.clear()
            await self._flush()

    async def _flush(self) -> None:
        batch, self.sent = self.sent, []
        if batch:
            await self._write(lambda conn: record_successes(conn, batch))
        if len(self.sent) < FLUSH_ROWS:
            self._room.set()

    async def _endpoint_lane(self, sid: str) -> None:
        queue = self.endpoints[sid]
        try:
            while queue:
                row = queue[0]
                await self._room.wait()
                async with self.webhook_slots:
                    paused = await self._send_webhook(row)
                queue.popleft()
                self._done(row)
                if paused:  # the rest wait in the database until the endpoint is resumed
                    left = [r["id"] for r in queue]
                    await self._write(lambda conn, ids=left: repo.release(conn, self.owner, ids))
                    self.held.difference_update(left)
                    queue.clear()
        finally:
            self.endpoint_tasks.pop(sid, None)
            if not queue:
                self.endpoints.pop(sid, None)

    async def _send_webhook(self, row: dict[str, Any]) -> bool:
        moment = now()
        try:
            async with self.db_slots, self.storage.engine.connect() as conn:
                secrets = await subs.live_secrets(conn, row["subscriber_id"])
            body = webhook_body(row, moment)
            await self.webhooks.post(row["recipient"], row["id"], moment, body, secrets)
        except Exception as exc:  # a 5xx, a timeout, a 410: record it
            return await self._failed(row, exc)
        self._succeeded(row, None)
        return False

    async def _failed(self, row: dict[str, Any], exc: Exception) -> bool:
        log.warning(
            "notification attempt failed",
            delivery_id=row["id"],
            channel=row["channel"],
            attempts=row["attempts"] + 1,
            error=repr(exc),
        )
        paused: bool = await self._write(lambda conn: record_failure(conn, row, exc, self.settings))
        if paused:
            log.warning("webhook endpoint paused", subscriber_id=row["subscriber_id"])
            self.loop.wake()  # the owner's notice is due
        return paused

    async def _write(self, work: Any) -> Any:
        """One short transaction, retried while the database is away (the send happened)."""

        async def once() -> Any:
            async with self.db_slots, self.storage.engine.begin() as conn:
                return await work(conn)

        return await retry_until_done(once, "recording a delivery outcome")

    async def _heartbeat(self) -> None:
        """Renew the lease of every claim still waiting in memory."""
        while True:
            await asyncio.sleep(self.settings.claim_lease_seconds / 3)
            with contextlib.suppress(Exception):
                async with self.storage.engine.begin() as conn:
                    await repo.renew_claims(conn, self.owner, self.settings.claim_lease_seconds)
