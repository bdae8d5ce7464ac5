"""What goes out: the e-mail for a claimed delivery, and the webhook body."""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from notifications.service_layer.links import Links
from notifications.service_layer.rendering import Rendered, render_event, render_paused

__all__ = ["PAUSED_TYPE", "email_for", "mail", "webhook_body"]

PAUSED_TYPE = "notifications.endpoint.paused"
"""The service's own notice to an endpoint's owner (not a dialogue event)."""


def mail(
    sender: str, to: str, rendered: Rendered, message_id: str, unsubscribe_url: str | None
) -> EmailMessage:
    """A multipart (plain + HTML) message; RFC 8058 one-click unsubscribe headers if given."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False)
    # Stable per delivery: a resend after a lost acknowledgement is recognisably the same mail.
    msg["Message-ID"] = f"<{message_id}@samverkan>"
    if unsubscribe_url is not None:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def email_for(row: dict[str, Any], sender: str, links: Links) -> tuple[EmailMessage, str]:
    """The mail for one claimed e-mail delivery, and its subject for the log."""
    if row["event_type"] == PAUSED_TYPE:
        data = row["event_data"] or {}
        rendered = render_paused(
            language=row["language"],
            name=row["subscriber_name"],
            url=data.get("url", ""),
            reason=data.get("reason", ""),
        )
        return mail(sender, row["recipient"], rendered, row["id"], None), rendered.subject
    if row["event_data"] is None:  # written before migration 0002: its text was stored with it
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, row["recipient"], row["subject"] or ""
        msg["Message-ID"] = f"<{row['id']}@samverkan>" if row["id"] else make_msgid()
        msg.set_content(row["body"] or "")
        return msg, row["subject"] or ""
    unsubscribe = links.unsubscribe_url(row["subscriber_id"])
    shared = _event_text(row)
    rendered = Rendered(
        shared.subject,
        shared.text.replace(_LINK, unsubscribe),
        shared.html.replace(_LINK, unsubscribe),
    )
    return mail(sender, row["recipient"], rendered, row["id"], unsubscribe), rendered.subject


_LINK = "\x00unsubscribe-link\x00"
_CACHE: OrderedDict[tuple[str, str], Rendered] = OrderedDict()
_CACHE_SIZE = 256


def _event_text(row: dict[str, Any]) -> Rendered:
    """The mail about one event in one language, rendered once for all its recipients.

    Only the unsubscribe link differs per person; it is a placeholder here.
    """
    key = (row["logical_event_id"], row["language"])
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    rendered = render_event(
        language=row["language"],
        event_type=row["event_type"],
        title=row["event_title"],
        regions=row["event_regions"],
        areas=row["event_areas"],
        data=row["event_data"],
        event_id=row["logical_event_id"],
        occurred_at=row["event_time"],
        unsubscribe_url=_LINK,
    )
    _CACHE[key] = rendered
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return rendered


def webhook_body(row: dict[str, Any], moment: datetime) -> str:
    """The Standard Webhooks payload: ``type``, ``timestamp`` and ``data``."""
    payload = {
        "type": row["event_type"],
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
        "data": {
            "event_id": row["logical_event_id"],
            "subject": row["event_subject"],
            "title": row["event_title"],
            "regions": row["event_regions"],
            "areas": row["event_areas"],
            "occurred_at": row["event_time"].isoformat().replace("+00:00", "Z"),
            "event": row["event_data"],
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
