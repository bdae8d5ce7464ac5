"""The delivery log over HTTP: per subscriber and per event; operators retry dead ones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from notifications.adapters import deliveries_repo as repo
from notifications.adapters import digests_repo
from notifications.adapters import subscribers_repo as subs
from notifications.domain.model import Channel, DeliveryStatus
from notifications.entrypoints.responses import (
    CountOut,
    DeliveryOut,
    DigestOut,
    DigestRunOut,
    RetryOut,
)
from notifications.service_layer.digests import DigestScheduler
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["deliveries_router"]

Limit = Annotated[int, Query(ge=1, le=500)]
EventId = Annotated[str, Query(min_length=1, max_length=64)]


def deliveries_router(storage: Storage, digests: DigestScheduler) -> APIRouter:
    """The log, retries of dead deliveries, and the digests."""
    router = APIRouter(tags=["deliveries"])

    @router.get("/deliveries", response_model=list[DeliveryOut])
    async def list_deliveries(
        subscriber_id: Annotated[str | None, Query(max_length=36)] = None,
        status: DeliveryStatus | None = None,
        event_id: EventId | None = None,
        channel: Channel | None = None,
        limit: Limit = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> list[dict[str, Any]]:
        """Deliveries, newest first (pages by ``offset``); event_id is the logical event id."""
        async with storage.engine.connect() as conn:
            return await repo.list_deliveries(
                conn,
                subscriber_id=subscriber_id,
                status=status.value if status else None,
                event_id=event_id,
                channel=channel.value if channel else None,
                limit=limit,
                offset=offset,
            )

    @router.get("/deliveries/summary", response_model=list[CountOut])
    async def summary() -> list[dict[str, Any]]:
        """How many deliveries there are by channel and status."""
        async with storage.engine.connect() as conn:
            counts = await repo.counts_by_status(conn)
        return [{"channel": c, "status": s, "count": n} for c, s, n in counts]

    @router.get("/deliveries/{delivery_id}", response_model=DeliveryOut)
    async def get_delivery(delivery_id: IdPath) -> dict[str, Any]:
        """One delivery: status, attempts, last error."""
        async with storage.engine.connect() as conn:
            return await repo.get_delivery(conn, delivery_id)

    @router.get("/subscribers/{subscriber_id}/deliveries", response_model=list[DeliveryOut])
    async def of_subscriber(
        subscriber_id: IdPath, status: DeliveryStatus | None = None, limit: Limit = 100
    ) -> list[dict[str, Any]]:
        """A subscriber's deliveries, newest first."""
        async with storage.engine.connect() as conn:
            await subs.get_subscriber(conn, subscriber_id)
            return await repo.list_deliveries(
                conn,
                subscriber_id=subscriber_id,
                status=status.value if status else None,
                limit=limit,
            )

    @router.get("/events/{event_id}/deliveries", response_model=list[DeliveryOut])
    async def of_event(event_id: str, limit: Limit = 500) -> list[dict[str, Any]]:
        """Every delivery of one logical event (its fan-out id, else its event id)."""
        async with storage.engine.connect() as conn:
            return await repo.list_deliveries(conn, event_id=event_id[:64], limit=limit)

    @router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
    async def retry(delivery_id: IdPath) -> dict[str, Any]:
        """Try a dead delivery again now (409 naming its state if it is not dead)."""
        async with storage.engine.begin() as conn:
            await repo.retry_dead(conn, delivery_id=delivery_id)
            row = await repo.get_delivery(conn, delivery_id)
        _wake(storage)
        return row

    @router.post("/subscribers/{subscriber_id}/deliveries/retry", response_model=RetryOut)
    async def retry_subscriber(subscriber_id: IdPath) -> dict[str, int]:
        """Try every dead delivery of a subscriber again now."""
        async with storage.engine.begin() as conn:
            await subs.get_subscriber(conn, subscriber_id)
            count = await repo.retry_dead(conn, subscriber_id=subscriber_id)
        _wake(storage)
        return {"retried": count}

    @router.get("/digests", response_model=list[DigestOut])
    async def list_digests(
        subscriber_id: Annotated[str | None, Query(max_length=36)] = None,
    ) -> list[dict[str, Any]]:
        """Daily digests, newest first."""
        async with storage.engine.connect() as conn:
            return await digests_repo.list_digests(conn, subscriber_id)

    @router.post("/digests/run", response_model=DigestRunOut)
    async def run_digests() -> dict[str, Any]:
        """Make today's digests now, before the digest hour (each still once per day)."""
        result = await digests.run_once(force=True)
        return {"day": result.day, "claimed": result.claimed, "sent": result.sent}

    return router


def _wake(storage: Storage) -> None:
    for wake in storage.on_commit:
        wake()
