"""The notification service's HTTP API: subscriptions in, delivery records out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from notifications.adapters import repository as repo
from notifications.domain.model import DeliveryStatus
from notifications.entrypoints.responses import DeliveryOut, SubscriptionOut
from notifications.entrypoints.schemas import SubscriptionIn
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["build_router"]


def build_router(storage: Storage, guard: Any) -> APIRouter:
    """Every route of the API, behind the bearer-token guard."""
    router = APIRouter(dependencies=[Depends(guard)])

    @router.post(
        "/subscriptions", status_code=201, response_model=SubscriptionOut, tags=["subscriptions"]
    )
    async def subscribe(body: SubscriptionIn) -> dict[str, Any]:
        """Ask for mail about events of some regions and types (empty lists: all)."""
        async with storage.engine.begin() as conn:
            return await repo.add_subscription(
                conn, body.email, list(body.regions), list(body.event_types)
            )

    @router.get("/subscriptions", response_model=list[SubscriptionOut], tags=["subscriptions"])
    async def list_subscriptions() -> list[dict[str, Any]]:
        """Every subscription, newest first."""
        async with storage.engine.connect() as conn:
            return await repo.list_subscriptions(conn)

    @router.delete(
        "/subscriptions/{subscription_id}", response_model=SubscriptionOut, tags=["subscriptions"]
    )
    async def unsubscribe(subscription_id: IdPath) -> dict[str, Any]:
        """Stop a subscription; mail already recorded for it is still sent."""
        async with storage.engine.begin() as conn:
            return await repo.deactivate(conn, subscription_id)

    @router.get("/deliveries", response_model=list[DeliveryOut], tags=["deliveries"])
    async def list_deliveries(
        subscriber_id: str | None = None,
        status: DeliveryStatus | None = None,
        event_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict[str, Any]]:
        """Delivery records, newest first; event_id is the logical (fan-out) event id."""
        async with storage.engine.connect() as conn:
            return await repo.list_deliveries(
                conn,
                subscriber_id=subscriber_id,
                status=status.value if status else None,
                event_id=event_id,
                limit=limit,
            )

    return router
