"""Prometheus metrics every service exposes at ``/metrics``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

__all__ = [
    "CONSUMED",
    "HANDLER_SECONDS",
    "PUBLISHED",
    "RETRIES",
    "metrics_router",
]

CONSUMED = Counter(
    "samverkan_events_consumed",
    "Events read by a consumer, by outcome (applied, duplicate, dead_lettered)",
    ["consumer", "outcome"],
)
RETRIES = Counter(
    "samverkan_event_retries", "Attempts to apply an event that failed transiently", ["consumer"]
)
HANDLER_SECONDS = Histogram(
    "samverkan_handler_seconds",
    "Time to apply one event, inbox and effect in one transaction",
    ["consumer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
PUBLISHED = Counter("samverkan_events_published", "Outbox rows the relay published", ["topic"])
OUTBOX_BACKLOG = Gauge("samverkan_outbox_backlog", "Outbox rows not yet published")
OUTBOX_OLDEST = Gauge(
    "samverkan_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row (0 if none)"
)


def metrics_router(backlog: Callable[[], Awaitable[tuple[int, float | None]]]) -> APIRouter:
    """``/metrics`` in the Prometheus text format; the outbox gauges are read at scrape time."""
    router = APIRouter(tags=["health"])

    @router.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        try:
            count, oldest = await backlog()
            OUTBOX_BACKLOG.set(count)
            OUTBOX_OLDEST.set(oldest or 0.0)
        except Exception:  # the database is away: report what we have, /readyz says why
            pass
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
