"""Which regions an event concerns, and which subscriptions want it (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from samverkan_shared.contracts import Event
from samverkan_shared.contracts.base import IssueEvent
from samverkan_shared.topics import region_of_topic, upstream

__all__ = ["concerned_regions", "matches"]


def concerned_regions(event: Event, topic: str) -> list[str]:
    """The regions an event is about, in the order the event names them."""
    region = region_of_topic(topic)
    if topic == upstream(region):  # only the region's own service writes its upstream topic
        return [region]
    addressed = getattr(event, "addressed_regions", None)
    if addressed:
        return list(addressed)
    if isinstance(event, IssueEvent):
        return [event.region]
    return [region]


def matches(subscription: Mapping[str, Any], event_type: str, regions: Iterable[str]) -> bool:
    """An empty filter means 'everything'; otherwise region and type must both match."""
    wanted_regions = subscription.get("regions") or []
    wanted_types = subscription.get("event_types") or []
    region_ok = not wanted_regions or not set(wanted_regions).isdisjoint(regions)
    type_ok = not wanted_types or event_type in wanted_types
    return region_ok and type_ok
