"""Delivery states and the retry schedule: plain values, no I/O."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EMAIL", "MAX_RETRY_DELAY", "DeliveryStatus", "retry_delay"]

EMAIL = "email"
"""The only channel so far; part of the delivery key so a later channel gets its own row."""

MAX_RETRY_DELAY = 300.0


class DeliveryStatus(StrEnum):
    """Where one notification stands."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


def retry_delay(attempts: int, jitter: float) -> float:
    """Seconds before the next attempt: doubling, capped at five minutes, scaled by jitter.

    Jitter (0.5..1.0) spreads retries so a relay that comes back is not hit all at once.
    """
    return min(MAX_RETRY_DELAY, 2.0**attempts) * jitter
