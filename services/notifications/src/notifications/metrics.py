"""The notification service's own Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ["ATTEMPTS", "DELIVERIES"]

DELIVERIES = Gauge(
    "samverkan_notification_deliveries",
    "Deliveries in the database by channel and status (read when /metrics is scraped)",
    ["channel", "status"],
)
ATTEMPTS = Counter(
    "samverkan_notification_attempts",
    "Sending attempts by channel and outcome (sent, retry, dead)",
    ["channel", "outcome"],
)
