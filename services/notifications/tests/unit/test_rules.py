"""Who hears of an event: subscriptions, default rules per role, digests, critical events."""

from __future__ import annotations

from typing import Any

from notifications.domain.model import Channel, retry_delay
from notifications.domain.rules import plan, subscription_matches

PUBLISHED = "se.samverkan.assessment.published.v1"
ESCALATED = "se.samverkan.issue.escalated.v1"
BREACHED = "se.samverkan.sla.breached.v1"
REQUESTED = "se.samverkan.information.requested.v1"


def person(sid: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "kind": "person",
        "email": f"{sid}@example.se",
        "role": "stakeholder",
        "region": None,
        "delivery": "immediate",
        "default_rules": True,
        "webhook_url": None,
        **kw,
    }


def system(sid: str) -> dict[str, Any]:
    return {
        **person(sid, kind="system", role="system"),
        "webhook_url": f"http://hooks/{sid}",
    }


def sub(sid: str, channel: str = "email", **filters: list[str]) -> dict[str, Any]:
    return {
        "subscriber_id": sid,
        "channel": channel,
        "regions": filters.get("regions", []),
        "areas": filters.get("areas", []),
        "event_types": filters.get("event_types", []),
    }


def test_every_non_empty_filter_must_match() -> None:
    s = sub("a", regions=["norra"], areas=["clinical-placement"], event_types=[PUBLISHED])
    assert subscription_matches(s, PUBLISHED, ["norra", "sodra"], ["clinical-placement"])
    assert not subscription_matches(s, PUBLISHED, ["sodra"], ["clinical-placement"])
    assert not subscription_matches(s, PUBLISHED, ["norra"], [])  # an area filter needs an area
    assert not subscription_matches(s, ESCALATED, ["norra"], ["clinical-placement"])
    assert subscription_matches(sub("a"), ESCALATED, ["vastra"], [])


def test_regional_members_hear_requests_and_assessments_addressed_to_their_region() -> None:
    people = {
        "n": person("n", role="regional_member", region="norra"),
        "s": person("s", role="regional_member", region="sodra"),
        "k": person("k", role="national_staff"),
    }
    assert {t.subscriber_id for t in plan(people, [], PUBLISHED, ["norra"], [])} == {"n"}
    assert {t.subscriber_id for t in plan(people, [], REQUESTED, ["sodra"], [])} == {"s"}
    assert {t.subscriber_id for t in plan(people, [], ESCALATED, ["norra"], [])} == {"k"}
    assert {t.subscriber_id for t in plan(people, [], BREACHED, ["sodra"], [])} == {"k"}


def test_default_rules_can_be_switched_off_and_a_subscription_adds_no_second_mail() -> None:
    people = {
        "k": person("k", role="national_staff"),
        "off": person("off", role="national_staff", default_rules=False),
    }
    targets = plan(people, [sub("k", event_types=[ESCALATED])], ESCALATED, ["norra"], [])
    assert [(t.subscriber_id, t.channel) for t in targets] == [("k", Channel.EMAIL)]


def test_channels_go_to_the_right_address_and_digests_hold_all_but_critical() -> None:
    people = {"p": person("p", delivery="daily"), "w": system("w")}
    subs = [sub("p"), sub("p", "feed"), sub("w", "webhook")]
    targets = {(t.subscriber_id, t.channel): t for t in plan(people, subs, ESCALATED, ["a"], [])}
    assert targets[("p", Channel.EMAIL)].held
    assert targets[("p", Channel.EMAIL)].recipient == "p@example.se"
    assert not targets[("p", Channel.FEED)].held
    assert targets[("w", Channel.WEBHOOK)].recipient == "http://hooks/w"
    critical = plan(people, subs, BREACHED, ["a"], [])
    assert not any(t.held for t in critical)


def test_a_system_never_gets_event_mail() -> None:
    assert plan({"w": system("w")}, [sub("w", "email")], ESCALATED, ["a"], []) == []


def test_retry_delay_doubles_from_the_base_and_caps() -> None:
    assert retry_delay(1, 1.0, base=5, cap=3600) == 5.0
    assert retry_delay(3, 0.5, base=5, cap=3600) == 10.0
    assert retry_delay(30, 1.0, base=5, cap=3600) == 3600.0


def test_every_event_type_has_a_name_in_both_languages() -> None:
    from notifications.service_layer.i18n import EVENT_NAMES
    from samverkan_shared.contracts import EVENT_TYPES

    missing = set(EVENT_TYPES) - set(EVENT_NAMES) - {t for t in EVENT_TYPES if ".intake." in t}
    assert not missing, f"add Swedish and English names for {sorted(missing)}"
