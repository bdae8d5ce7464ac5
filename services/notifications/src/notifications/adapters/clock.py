"""The one clock of the service (UTC), so tests and code agree on what 'now' is."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["now"]


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)
