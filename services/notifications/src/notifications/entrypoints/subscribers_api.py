"""Subscribers and subscriptions over HTTP (behind the bearer token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from notifications.adapters import subscribers_repo as repo
from notifications.entrypoints.responses import (
    SecretOut,
    SubscriberCreated,
    SubscriberOut,
    SubscriptionOut,
)
from notifications.entrypoints.schemas import (
    Filters,
    RotateIn,
    SubscriberIn,
    SubscriberPatch,
    SubscriptionIn,
)
from notifications.service_layer import subscribing
from notifications.service_layer.links import Links
from notifications.service_layer.subscribing import FieldError
from samverkan_shared.http import IdPath
from samverkan_shared.uow import Storage

__all__ = ["subscribers_router"]


def subscribers_router(storage: Storage, links: Links) -> APIRouter:
    """Create, list, change and remove subscribers; their subscriptions; rotate secrets."""
    router = APIRouter(tags=["subscribers"])

    def created(row: dict[str, Any]) -> dict[str, Any]:
        token = links.feed_token(row["id"])
        url = f"{links.base_url}/subscribers/{row['id']}/feed/stream?token={token}"
        return {**row, "feed_token": token, "feed_url": url}

    @router.post("/subscribers", status_code=201, response_model=SubscriberCreated)
    async def add_subscriber(body: SubscriberIn) -> dict[str, Any]:
        """A person (e-mail, feed) or a system (webhook); a system's secret is shown here."""
        async with storage.engine.begin() as conn:
            return created(await subscribing.create_subscriber(conn, body.model_dump()))

    @router.get("/subscribers", response_model=list[SubscriberOut])
    async def list_subscribers() -> list[dict[str, Any]]:
        """Every subscriber, newest first."""
        async with storage.engine.connect() as conn:
            return await repo.list_subscribers(conn)

    @router.get("/subscribers/{subscriber_id}", response_model=SubscriberOut)
    async def get_subscriber(subscriber_id: IdPath) -> dict[str, Any]:
        """One subscriber."""
        async with storage.engine.connect() as conn:
            return await repo.get_subscriber(conn, subscriber_id)

    @router.patch("/subscribers/{subscriber_id}", response_model=SubscriberOut)
    async def change_subscriber(subscriber_id: IdPath, body: SubscriberPatch) -> dict[str, Any]:
        """Change language, digest choice, address, URL or the default rules."""
        values = {k: getattr(v, "value", v) for k, v in body.model_dump(exclude_none=True).items()}
        async with storage.engine.begin() as conn:
            current = await repo.get_subscriber(conn, subscriber_id)
            subscribing.check_subscriber({**current, **values})
            return await repo.update_subscriber(conn, subscriber_id, **values)

    @router.delete("/subscribers/{subscriber_id}", response_model=SubscriberOut)
    async def remove_subscriber(subscriber_id: IdPath) -> dict[str, Any]:
        """Remove: nothing more is sent, what was waiting is cancelled; history stays."""
        async with storage.engine.begin() as conn:
            return await repo.deactivate_subscriber(conn, subscriber_id)

    @router.post("/subscribers/{subscriber_id}/resume", response_model=SubscriberOut)
    async def resume(subscriber_id: IdPath) -> dict[str, Any]:
        """Resume a paused webhook endpoint (409 unless paused); waiting deliveries go out."""
        async with storage.engine.begin() as conn:
            return await repo.resume(conn, subscriber_id)

    @router.post("/subscribers/{subscriber_id}/secret/rotate", response_model=SecretOut)
    async def rotate(subscriber_id: IdPath, body: RotateIn | None = None) -> dict[str, Any]:
        """A new signing secret; the old one signs beside it until the overlap ends."""
        overlap = (body or RotateIn()).overlap_seconds
        async with storage.engine.begin() as conn:
            return await subscribing.rotate_secret(conn, subscriber_id, overlap)

    @router.post(
        "/subscribers/{subscriber_id}/subscriptions",
        status_code=201,
        response_model=SubscriptionOut,
    )
    async def add_subscription(subscriber_id: IdPath, body: Filters) -> dict[str, Any]:
        """Subscribe by regions, areas and event types, on one channel."""
        async with storage.engine.begin() as conn:
            subscriber = await repo.get_subscriber(conn, subscriber_id)
            return await subscribing.subscribe(conn, subscriber, body.model_dump())

    @router.get(
        "/subscribers/{subscriber_id}/subscriptions",
        response_model=list[SubscriptionOut],
    )
    async def subscriptions_of(subscriber_id: IdPath) -> list[dict[str, Any]]:
        """A subscriber's subscriptions, newest first."""
        async with storage.engine.connect() as conn:
            await repo.get_subscriber(conn, subscriber_id)
            return await repo.list_subscriptions(conn, subscriber_id)

    @router.post("/subscriptions", status_code=201, response_model=SubscriptionOut)
    async def subscribe(body: SubscriptionIn) -> dict[str, Any]:
        """A subscription for ``subscriber_id``, or for a person known by ``email``.

        With ``email`` alone the person is found, or created (role stakeholder, immediate).
        """
        async with storage.engine.begin() as conn:
            subscriber = await _owner(conn, body)
            return await subscribing.subscribe(conn, subscriber, body.model_dump())

    @router.get("/subscriptions", response_model=list[SubscriptionOut])
    async def list_subscriptions() -> list[dict[str, Any]]:
        """Every subscription, newest first."""
        async with storage.engine.connect() as conn:
            return await repo.list_subscriptions(conn)

    @router.delete("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
    async def unsubscribe(subscription_id: IdPath) -> dict[str, Any]:
        """Stop a subscription; deliveries already recorded for it still go out."""
        async with storage.engine.begin() as conn:
            return await repo.deactivate_subscription(conn, subscription_id)

    return router


async def _owner(conn: Any, body: SubscriptionIn) -> dict[str, Any]:
    if body.subscriber_id is not None:
        if body.email is not None:
            raise FieldError("email", "give subscriber_id or email, not both")
        return await repo.get_subscriber(conn, body.subscriber_id)
    if body.email is None:
        raise FieldError("email", "give the subscriber_id or the e-mail of a person")
    found = await repo.person_by_email(conn, body.email)
    if found is not None:
        return found
    return await subscribing.create_subscriber(
        conn,
        {
            "kind": "person",
            "name": body.email,
            "role": "stakeholder",
            "email": body.email,
            "language": body.language.value,
            "delivery": "immediate",
            "default_rules": False,
        },
    )
