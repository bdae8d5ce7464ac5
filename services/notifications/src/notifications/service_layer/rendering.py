"""Mail text from Jinja2 templates (plain text and HTML), in Swedish or English."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from notifications.domain.model import Language
from notifications.service_layer.i18n import AREA_NAMES_EN, event_name
from samverkan_shared.registry import load_areas, load_regions

__all__ = [
    "DigestGroup",
    "Rendered",
    "area_name",
    "digest_groups",
    "page",
    "render_digest",
    "render_event",
    "render_paused",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SUBJECT_MAX = 300

# Free-text fields worth quoting, in reading order, with their labels (sv, en).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("summary", "Sammanfattning", "Summary"),
    ("question", "Fråga", "Question"),
    ("recommendation", "Rekommendation", "Recommendation"),
    ("change_note", "Ändring", "Change"),
    ("guidance", "Vägledning", "Guidance"),
    ("resolution", "Beslut", "Resolution"),
    ("reason_not_regional", "Varför inte regionalt", "Why not regional"),
    ("requested_outcome", "Önskat resultat", "Requested outcome"),
    ("amendment", "Tillägg", "Amendment"),
    ("answer", "Svar", "Answer"),
    ("views", "Synpunkter", "Views"),
    ("due_at", "Svar senast", "Due"),
    ("deadline", "Sista dag", "Deadline"),
    ("target", "Mål", "Target"),
    ("to_state", "Nytt läge", "New state"),
    ("reason", "Skäl", "Reason"),
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One mail's subject and its two bodies."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """The digest's events of one region and area."""

    region: str
    area: str
    items: list[dict[str, Any]]


@cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _region_names() -> dict[str, str]:
    return {r.code: r.name for r in load_regions()}


def area_name(code: str, language: str) -> str:
    """An area's name in the language."""
    if language == Language.EN and code in AREA_NAMES_EN:
        return AREA_NAMES_EN[code]
    return {a.code: a.name for a in load_areas()}.get(code, code)


def _lang(language: str) -> str:
    return language if language in (Language.SV, Language.EN) else Language.SV.value


def _subject(text: str) -> str:
    one_line = " ".join(text.split())  # a header must stay one line
    return one_line if len(one_line) <= SUBJECT_MAX else one_line[: SUBJECT_MAX - 1] + "…"


def _both(name: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
    lang = _lang(language)
    env = _env()
    text = env.get_template(f"{lang}/{name}.txt").render(**context, lang=lang)
    html = env.get_template(f"{lang}/{name}.html").render(**context, lang=lang)
    return text, html


def render_event(
    *,
    language: str,
    event_type: str,
    title: str,
    regions: Sequence[str],
    areas: Sequence[str],
    data: Mapping[str, Any],
    event_id: str,
    occurred_at: Any,
    unsubscribe_url: str,
) -> Rendered:
    """The mail about one event."""
    lang = _lang(language)
    index = 1 if lang == Language.SV else 2
    what = event_name(event_type, lang)
    region_text = ", ".join(_region_names().get(r, r) for r in regions)
    fields = [(f[index], str(data[f[0]])) for f in FIELDS if data.get(f[0])]
    context = {
        "what": what,
        "title": title,
        "regions": region_text,
        "areas": [area_name(a, lang) for a in areas],
        "fields": fields,
        "reference": data.get("national_reference"),
        "event_id": event_id,
        "occurred_at": occurred_at,
        "unsubscribe_url": unsubscribe_url,
    }
    text, html = _both("event", lang, context)
    return Rendered(_subject(f"[Samverkan] {what}: {title} ({region_text})"), text, html)


def render_digest(
    *, language: str, day: str, groups: Sequence[DigestGroup], total: int, unsubscribe_url: str
) -> Rendered:
    """The daily digest: what happened, grouped by region and area."""
    lang = _lang(language)
    context = {"day": day, "groups": groups, "total": total, "unsubscribe_url": unsubscribe_url}
    text, html = _both("digest", lang, context)
    label = "Dagens sammanfattning" if lang == Language.SV else "Daily digest"
    return Rendered(_subject(f"[Samverkan] {label} {day}: {total}"), text, html)


def render_paused(*, language: str, name: str, url: str, reason: str) -> Rendered:
    """The notice to an endpoint's owner that it was paused."""
    lang = _lang(language)
    text, html = _both("endpoint_paused", lang, {"name": name, "url": url, "reason": reason})
    label = "Webhook pausad" if lang == Language.SV else "Webhook paused"
    return Rendered(_subject(f"[Samverkan] {label}: {name}"), text, html)


def digest_groups(items: Sequence[Mapping[str, Any]], language: str) -> list[DigestGroup]:
    """Events grouped by region, then area; an event of two areas is listed under both."""
    lang = _lang(language)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        for region in item["regions"] or ["-"]:
            for area in item["areas"] or ["-"]:
                grouped.setdefault((region, area), []).append(
                    {
                        "what": event_name(item["type"], lang),
                        "title": item["title"],
                        "occurred_at": item["occurred_at"],
                    }
                )
    general = "Övrigt" if lang == Language.SV else "General"
    return [
        DigestGroup(
            _region_names().get(region, region if region != "-" else general),
            area_name(area, lang) if area != "-" else general,
            rows,
        )
        for (region, area), rows in sorted(grouped.items())
    ]


def page(name: str, **context: Any) -> str:
    """A web page from the templates (the unsubscribe page)."""
    defaults = {"error": None, "done": False, "email": "", "action": ""}
    return _env().get_template(name).render(**{**defaults, **context})
