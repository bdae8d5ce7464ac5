"""Mail from the templates (both languages, both bodies, RFC 8058 headers), webhook signatures
verified by the standardwebhooks library, and signed links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from notifications.adapters.subscribers_repo import new_secret
from notifications.adapters.webhook_client import signature_header
from notifications.service_layer.links import Links
from notifications.service_layer.messages import email_for, webhook_body
from notifications.service_layer.rendering import digest_groups, render_digest

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LINKS = Links("secret", "https://samverkan.example")


def claimed(language: str) -> dict[str, object]:
    return {
        "id": "d-1",
        "logical_event_id": "fan-1",
        "event_type": "se.samverkan.assessment.published.v1",
        "subscriber_id": "s-1",
        "subscriber_name": "Kansliet",
        "channel": "email",
        "recipient": "kansli@example.se",
        "language": language,
        "event_title": "Fler VFU-platser",
        "event_subject": "assessments/1/versions/1",
        "event_regions": ["norra", "sodra"],
        "event_areas": ["clinical-placement"],
        "event_time": NOW,
        "event_data": {"recommendation": "Samordna platserna nationellt.", "title": "x"},
    }


def test_swedish_mail_has_text_html_and_one_click_unsubscribe() -> None:
    message, subject = email_for(claimed("sv"), "samverkan@example.se", LINKS)
    assert subject.startswith("[Samverkan] Nationell bedömning publicerad: Fler VFU-platser")
    assert "Norra sjukvårdsregionen, Södra sjukvårdsregionen" in subject
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Rekommendation:\nSamordna platserna nationellt." in text
    assert "Verksamhetsförlagd utbildning (VFU)" in text
    assert "<h1" in html and "Fler VFU-platser" in html
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://samverkan.example/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in text and url.replace("&", "&amp;") in html
    assert message["Message-ID"] == "<d-1@samverkan>"
    assert LINKS.subscriber_of_unsubscribe(url.split("token=")[1]) == "s-1"


def test_english_mail() -> None:
    message, subject = email_for(claimed("en"), "samverkan@example.se", LINKS)
    assert subject.startswith("[Samverkan] Assessment published: Fler VFU-platser")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Recommendation:" in text and "Clinical placement (VFU)" in text


def test_links_of_one_kind_do_not_open_the_other() -> None:
    assert LINKS.subscriber_of_feed(LINKS.unsubscribe_token("s-1")) is None
    assert LINKS.subscriber_of_unsubscribe("forged") is None
    assert Links("other", "x").subscriber_of_feed(LINKS.feed_token("s-1")) is None


def test_both_secrets_verify_during_a_rotation() -> None:
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_")
    sent = datetime.now(UTC)  # the library refuses timestamps older than five minutes
    body = webhook_body(claimed("sv"), sent)
    header = signature_header([new, old], "d-1", sent, body)
    headers = {
        "webhook-id": "d-1",
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": header,
    }
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["data"]["event_id"] == "fan-1"
    assert header.count("v1,") == 2
    try:
        Webhook(new_secret()).verify(body, headers)
    except Exception as exc:
        assert "signature" in str(exc).lower()
    else:
        raise AssertionError("a foreign secret verified")


def test_digest_groups_by_region_then_area() -> None:
    items = [
        {
            "type": "se.samverkan.issue.escalated.v1",
            "title": "A",
            "regions": ["norra"],
            "areas": ["clinical-placement", "doctoral-staff"],
            "occurred_at": NOW,
        },
        {
            "type": "se.samverkan.information.requested.v1",
            "title": "B",
            "regions": ["sodra"],
            "areas": [],
            "occurred_at": NOW + timedelta(hours=1),
        },
    ]
    groups = digest_groups(items, "sv")
    assert [(g.region, g.area) for g in groups] == [
        ("Norra sjukvårdsregionen", "Verksamhetsförlagd utbildning (VFU)"),
        ("Norra sjukvårdsregionen", "Lärosätenas behov av disputerad personal"),
        ("Södra sjukvårdsregionen", "Övrigt"),
    ]
    rendered = render_digest(
        language="en",
        day="2026-03-01",
        groups=digest_groups(items, "en"),
        total=2,
        unsubscribe_url="u",
    )
    assert rendered.subject == "[Samverkan] Daily digest 2026-03-01: 2"
    assert "== Södra sjukvårdsregionen · General ==" in rendered.text
    assert "- Information requested: B" in rendered.text
