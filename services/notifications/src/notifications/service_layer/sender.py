"""The e-mail sender: mails pending deliveries and records each outcome in the database."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib
from sqlalchemy import update

from notifications.adapters import repository as repo
from notifications.adapters.tables import deliveries
from notifications.domain.model import DeliveryStatus, retry_delay
from notifications.settings import NotificationSettings
from samverkan_shared.drain import DrainLoop
from samverkan_shared.logs import get_logger
from samverkan_shared.uow import Storage

__all__ = ["EmailSender", "Transport"]

log = get_logger(__name__)

Transport = Callable[[EmailMessage], Awaitable[Any]]
"""Hands one message to a mail relay; raises if the relay did not accept it."""


class EmailSender:
    """Wakes on commit (and polls every second, for retries that come due)."""

    def __init__(
        self,
        storage: Storage,
        settings: NotificationSettings,
        *,
        transport: Transport | None = None,
        batch_size: int = 100,
        idle_poll: float = 1.0,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.transport = transport or self._smtp
        self.batch_size = batch_size
        self.idle_poll = idle_poll
        self.sent = 0
        self.loop = DrainLoop("e-mail sender", self.send_due, idle_poll)
        storage.on_commit.append(self.loop.wake)

    async def run(self) -> None:
        """Send forever; failures are recorded or logged, never raised (cancel stops it)."""
        await self.loop.run()

    async def send_due(self) -> int:
        """Attempt every due delivery of one batch; returns how many were attempted."""
        async with self.storage.engine.connect() as conn:
            due = await repo.due_deliveries(conn, self.batch_size)
        for row in due:
            await self._attempt(row)
        return len(due)

    async def _attempt(self, row: dict[str, Any]) -> None:
        try:
            await self.transport(self._message(row))
        except Exception as exc:  # the relay refused or is away: record it and back off
            await self._failed(row, exc)
            return
        await self._record(row, status=DeliveryStatus.SENT.value, sent_at=repo.now())
        self.sent += 1
        log.info("notification sent", delivery_id=row["id"], recipient=row["recipient"])

    async def _failed(self, row: dict[str, Any], exc: Exception) -> None:
        attempts = row["attempts"] + 1
        dead = attempts >= self.settings.delivery_max_attempts
        delay = retry_delay(attempts, random.uniform(0.5, 1.0))
        await self._record(
            row,
            status=(DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING).value,
            last_error=repr(exc)[:4000],
            next_attempt_at=repo.now() + timedelta(seconds=delay),
        )
        log.warning(
            "notification failed",
            delivery_id=row["id"],
            attempts=attempts,
            dead=dead,
            retry_in=None if dead else round(delay, 1),
            error=repr(exc),
        )

    async def _record(self, row: dict[str, Any], **values: Any) -> None:
        # Its own short transaction, so one slow or failing mail never holds others back;
        # the status guard keeps a second sender process from overwriting a final outcome.
        async with self.storage.engine.begin() as conn:
            await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == row["id"],
                    deliveries.c.status == DeliveryStatus.PENDING.value,
                )
                .values(attempts=row["attempts"] + 1, **values)
            )

    def _message(self, row: dict[str, Any]) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.mail_from
        msg["To"] = row["recipient"]
        msg["Subject"] = row["subject"]
        msg["Date"] = formatdate(localtime=False)
        # Stable per delivery: a retry after a lost acknowledgement is recognisably the same mail.
        msg["Message-ID"] = f"<{row['id']}@samverkan>"
        msg.set_content(row["body"])
        return msg

    async def _smtp(self, message: EmailMessage) -> Any:
        return await aiosmtplib.send(
            message,
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            timeout=30,
        )
