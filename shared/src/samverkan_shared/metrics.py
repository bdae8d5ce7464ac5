"""Prometheus metrics every service exposes at ``/metrics``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

__all__ = [
    "CONSUMED",
    "CONSUMER_LAG",
    "HANDLER_SECONDS",
    "PUBLISHED",
    "RETRIES",
    "LagProbe",
    "kafka_lag",
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
CONSUMER_LAG = Gauge(
    "samverkan_consumer_lag",
    "Records on an assigned partition the consumer has not yet taken (high watermark - position)",
    ["consumer", "topic", "partition"],
)

LagProbe = Callable[[], Awaitable[list[tuple[str, str, int, int]]]]
"""(consumer, topic, partition, lag) for every partition assigned to this process."""


async def kafka_lag(consumers: Iterable[tuple[str, Any]]) -> list[tuple[str, str, int, int]]:
    """Lag per assigned partition of each (name, aiokafka consumer), without a broker call
    when the consumer already knows the high watermark from its last fetch."""
    rows: list[tuple[str, str, int, int]] = []
    for name, consumer in consumers:
        parts = sorted(consumer.assignment() if consumer is not None else ())
        unknown = [tp for tp in parts if consumer.highwater(tp) is None]
        ends = await consumer.end_offsets(unknown) if unknown else {}
        for tp in parts:
            high = consumer.highwater(tp)
            end = ends.get(tp, 0) if high is None else high
            position = await consumer.position(tp)
            rows.append((name, tp.topic, tp.partition, max(0, end - position)))
    return rows


async def _refresh_lag(lag: LagProbe) -> None:
    rows = await asyncio.wait_for(lag(), 5.0)
    CONSUMER_LAG.clear()  # a partition given to another member is no longer ours to report
    for consumer, topic, partition, value in rows:
        CONSUMER_LAG.labels(consumer, topic, str(partition)).set(value)


def metrics_router(
    backlog: Callable[[], Awaitable[tuple[int, float | None]]], lag: LagProbe | None = None
) -> APIRouter:
    """``/metrics`` in the Prometheus text format; outbox and lag gauges are read at scrape time."""
    router = APIRouter(tags=["health"])

    @router.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        try:
            count, oldest = await backlog()
            OUTBOX_BACKLOG.set(count)
            OUTBOX_OLDEST.set(oldest or 0.0)
        except Exception:  # the database is away: report what we have, /readyz says why
            pass
        if lag is not None:
            # The broker is away or a rebalance is under way: the last values stay.
            with contextlib.suppress(Exception):
                await _refresh_lag(lag)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
