"""Sending mail over SMTP (aiosmtplib), with a kept-open connection per sending lane."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notifications.domain.model import PermanentFailure, TemporaryFailure
from notifications.settings import NotificationSettings

__all__ = ["SmtpConnection"]


class SmtpConnection:
    """One SMTP session, opened on first use and again after any failure.

    Reusing the session saves a TCP and EHLO round trip per message, which is most of
    the cost of a small mail to a nearby relay.
    """

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            s = self.settings
            client = aiosmtplib.SMTP(
                hostname=s.smtp_host,
                port=s.smtp_port,
                timeout=s.smtp_timeout_seconds,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            )
            await client.connect()
            self._client = client
        return self._client

    async def send(self, message: EmailMessage) -> None:
        """Hand one message to the relay; TemporaryFailure or PermanentFailure if it refused."""
        try:
            client = await self._connected()
            await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            codes = [r.code for r in exc.recipients]
            cls = PermanentFailure if codes and all(c >= 500 for c in codes) else TemporaryFailure
            raise cls(f"SMTP refused the recipient: {codes} {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            cls = PermanentFailure if exc.code >= 500 else TemporaryFailure
            raise cls(f"SMTP {exc.code}: {exc.message}") from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise TemporaryFailure(f"SMTP unavailable: {exc!r}") from exc

    async def close(self) -> None:
        """Close the session, quietly (it may already be gone)."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:  # a broken session cannot say goodbye; drop it
                client.close()
