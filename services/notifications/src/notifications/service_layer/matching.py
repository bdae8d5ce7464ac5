"""Which regions and areas an event concerns (pure functions)."""

from __future__ import annotations

from samverkan_shared.contracts import Event
from samverkan_shared.contracts.base import IssueEvent
from samverkan_shared.topics import region_of_topic, upstream

__all__ = ["concerned_areas", "concerned_regions", "headline"]


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


def concerned_areas(event: Event) -> list[str]:
    """The areas of collaboration the event names (focus areas of an operating plan too)."""
    areas = getattr(event, "areas", None)
    if areas:
        return list(areas)
    focus = getattr(event, "focus_areas", None)
    return [f.code for f in focus] if focus else []


def headline(event: Event, subject: str) -> str:
    """A one-line title: the event's own title, its question, or what it is about."""
    for attr in ("title", "question", "amendment", "answer", "views", "resolution", "guidance"):
        value = getattr(event, attr, None)
        if value:
            text = " ".join(str(value).split())
            return text if len(text) <= 200 else text[:199] + "…"
    return subject
