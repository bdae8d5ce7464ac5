"""Posting signed webhooks (Standard Webhooks: webhook-id, -timestamp, -signature)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import httpx
from standardwebhooks import Webhook

from notifications.domain.model import PermanentFailure, TemporaryFailure

__all__ = ["WebhookClient", "signature_header"]

USER_AGENT = "Samverkan-Webhooks/1.0"


def signature_header(secrets: Sequence[str], msg_id: str, moment: datetime, body: str) -> str:
    """``v1,<sig>`` per live secret, space-separated: during a rotation both verify."""
    return " ".join(Webhook(secret).sign(msg_id, moment, body) for secret in secrets)


class WebhookClient:
    """One pooled HTTP client for every endpoint."""

    def __init__(self, timeout: float, max_connections: int) -> None:
        self.client = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    async def post(
        self, url: str, msg_id: str, moment: datetime, body: str, secrets: Sequence[str]
    ) -> None:
        """Deliver once; 2xx is success, 410 permanent, anything else worth a retry."""
        if not secrets:
            raise PermanentFailure("the endpoint has no live signing secret")
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature_header(secrets, msg_id, moment, body),
        }
        try:
            response = await self.client.post(url, content=body.encode(), headers=headers)
        except httpx.TimeoutException as exc:
            raise TemporaryFailure(f"timed out: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"unreachable: {exc!r}") from exc
        if 200 <= response.status_code < 300:
            return
        detail = f"HTTP {response.status_code}: {response.text[:300]}"
        if response.status_code == 410:
            raise PermanentFailure(detail)
        raise TemporaryFailure(detail)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
