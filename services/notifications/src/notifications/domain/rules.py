"""Who hears of an event: explicit subscriptions plus the default rules of each role (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from notifications.domain.model import Channel, DeliveryMode, Role, SubscriberKind

__all__ = [
    "CRITICAL_TYPES",
    "NATIONAL_DEFAULTS",
    "REGIONAL_DEFAULTS",
    "Target",
    "plan",
    "subscription_matches",
]

_T = "se.samverkan."
REGIONAL_DEFAULTS = frozenset(
    {
        _T + "information.requested.v1",
        _T + "consultation.opened.v1",
        _T + "assessment.published.v1",
        _T + "assessment.revised.v1",
    }
)
"""Requests and assessments addressed to a region: its contacts hear of them by default."""

NATIONAL_DEFAULTS = frozenset({_T + "issue.escalated.v1", _T + "sla.breached.v1"})
"""New escalations and service-level breaches: national staff hear of them by default."""

CRITICAL_TYPES = frozenset({_T + "sla.breached.v1"})
"""Sent at once even to people who chose a daily digest (a breach cannot wait a day)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One delivery to make: to whom, by which channel, now or in the digest."""

    subscriber_id: str
    channel: Channel
    recipient: str
    held: bool


def subscription_matches(
    sub: Mapping[str, Any], event_type: str, regions: Iterable[str], areas: Iterable[str]
) -> bool:
    """Each filter that is not empty must share a value with the event."""
    wanted_regions = sub.get("regions") or []
    wanted_areas = sub.get("areas") or []
    wanted_types = sub.get("event_types") or []
    return (
        (not wanted_regions or not set(wanted_regions).isdisjoint(regions))
        and (not wanted_areas or not set(wanted_areas).isdisjoint(areas))
        and (not wanted_types or event_type in wanted_types)
    )


def _by_default(subscriber: Mapping[str, Any], event_type: str, regions: Sequence[str]) -> bool:
    if not subscriber.get("default_rules"):
        return False
    role = subscriber.get("role")
    if role == Role.NATIONAL_STAFF:
        return event_type in NATIONAL_DEFAULTS
    if role == Role.REGIONAL_MEMBER:
        return event_type in REGIONAL_DEFAULTS and subscriber.get("region") in regions
    return False


def _recipient(subscriber: Mapping[str, Any], channel: Channel) -> str | None:
    if channel is Channel.EMAIL:
        if subscriber["kind"] != SubscriberKind.PERSON:
            return None  # a system's e-mail is its owner's, for notices about the endpoint
        return subscriber.get("email") or None
    if channel is Channel.WEBHOOK:
        return subscriber.get("webhook_url") or None
    return "feed"


def plan(
    subscribers: Mapping[str, Mapping[str, Any]],
    subscriptions: Iterable[Mapping[str, Any]],
    event_type: str,
    regions: Sequence[str],
    areas: Sequence[str],
) -> list[Target]:
    """Every (subscriber, channel) that must hear of the event, each once."""
    wanted: dict[tuple[str, Channel], None] = {}
    for sub in subscriptions:
        owner = subscribers.get(sub["subscriber_id"])
        if owner is not None and subscription_matches(sub, event_type, regions, areas):
            wanted[(owner["id"], Channel(sub["channel"]))] = None
    for subscriber in subscribers.values():
        if _by_default(subscriber, event_type, regions):
            wanted[(subscriber["id"], Channel.EMAIL)] = None
    targets = []
    for subscriber_id, channel in wanted:
        subscriber = subscribers[subscriber_id]
        recipient = _recipient(subscriber, channel)
        if recipient is None:
            continue
        held = (
            channel is Channel.EMAIL
            and subscriber.get("delivery") == DeliveryMode.DAILY
            and event_type not in CRITICAL_TYPES
        )
        targets.append(Target(subscriber_id, channel, recipient, held))
    return targets
