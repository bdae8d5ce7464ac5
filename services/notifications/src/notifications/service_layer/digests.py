"""The daily digest: once per subscriber and day (a database row claims the day), then sent."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters import digests_repo as repo
from notifications.adapters.clock import now
from notifications.adapters.smtp import SmtpConnection
from notifications.domain.model import PermanentFailure, retry_delay
from notifications.service_layer.links import Links
from notifications.service_layer.messages import mail
from notifications.service_layer.rendering import digest_groups, render_digest
from notifications.settings import NotificationSettings
from samverkan_shared.logs import get_logger
from samverkan_shared.uow import Storage

__all__ = ["DigestRun", "DigestScheduler"]

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What one run did."""

    day: str
    claimed: int
    sent: int


class DigestScheduler:
    """Every minute: after the digest hour, claim today's digests; send the pending ones."""

    def __init__(
        self, storage: Storage, settings: NotificationSettings, links: Links, *, tick: float = 60.0
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.links = links
        self.tick = tick
        self.zone = ZoneInfo(settings.digest_timezone)
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        """Forever; a failing run is logged and tried again at the next tick."""
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # the database or relay is away: next tick
                log.warning("digest run failed", error=repr(exc))
            await asyncio.sleep(self.tick)

    def today(self) -> tuple[str, bool]:
        """Today's date in the digest time zone, and whether the digest hour has come."""
        local = now().astimezone(self.zone)
        return local.date().isoformat(), local.hour >= self.settings.digest_hour

    async def run_once(self, *, force: bool = False) -> DigestRun:
        """Claim today's digests if it is time (or ``force``), then send what is pending."""
        async with self._lock:
            day, due = self.today()
            claimed = await self._claim(day) if due or force else 0
            sent = await self._send_pending()
            return DigestRun(day, claimed, sent)

    async def _claim(self, day: str) -> int:
        async with self.storage.engine.connect() as conn:
            waiting = await repo.subscribers_without_digest(conn, day)
        claimed = 0
        for subscriber_id in waiting:
            async with self.storage.engine.begin() as conn:
                if await repo.claim_day(conn, subscriber_id, day) is not None:
                    claimed += 1
        return claimed

    async def _send_pending(self) -> int:
        sent = 0
        smtp = SmtpConnection(self.settings)
        try:
            while True:
                async with self.storage.engine.begin() as conn:
                    batch = await repo.due_digests(conn, 1)
                    if not batch:
                        return sent
                    sent += await self._send(conn, smtp, batch[0])
        finally:
            await smtp.close()

    async def _send(
        self, conn: AsyncConnection, smtp: SmtpConnection, digest: dict[str, Any]
    ) -> int:
        # The row stays locked (FOR UPDATE) while it is sent, so one process sends it.
        items = await repo.digest_items(conn, str(digest["id"]))
        language = str(digest["language"])
        unsubscribe = self.links.unsubscribe_url(str(digest["subscriber_id"]))
        rendered = render_digest(
            language=language,
            day=str(digest["day"]),
            groups=digest_groups(items, language),
            total=len(items),
            unsubscribe_url=unsubscribe,
        )
        message = mail(
            self.settings.mail_from, str(digest["email"]), rendered, str(digest["id"]), unsubscribe
        )
        try:
            await smtp.send(message)
        except Exception as exc:  # temporary: back off; permanent or too old: dead
            attempts = digest["attempts"] + 1
            delay = retry_delay(
                attempts,
                random.uniform(0.5, 1.0),
                base=self.settings.retry_base_seconds,
                cap=self.settings.retry_max_delay_seconds,
            )
            age = (now() - digest["created_at"]).total_seconds()
            dead = isinstance(exc, PermanentFailure) or age > self.settings.delivery_max_age_seconds
            await repo.mark_digest(
                conn,
                digest,
                status="dead" if dead else "pending",
                error=f"{exc.__class__.__name__}: {exc}"[:4000],
                retry_at=now() + timedelta(seconds=delay),
            )
            return 0
        await repo.mark_digest(conn, digest, status="sent")
        log.info("digest sent", digest_id=digest["id"], items=len(items))
        return 1
