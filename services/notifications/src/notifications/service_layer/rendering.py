"""The subject and plain-text body of a notification, in neutral Swedish/English."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from samverkan_shared.contracts import Event
from samverkan_shared.envelope import Envelope
from samverkan_shared.registry import load_regions

__all__ = ["Rendered", "render"]

SUBJECT_MAX = 300

# Free-text fields worth quoting, in reading order; events without one simply skip it.
_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Titel / Title"),
    ("summary", "Sammanfattning / Summary"),
    ("question", "Fråga / Question"),
    ("recommendation", "Rekommendation / Recommendation"),
    ("change_note", "Ändring / Change"),
    ("guidance", "Vägledning / Guidance"),
    ("resolution", "Beslut / Resolution"),
    ("reason", "Skäl / Reason"),
    ("amendment", "Tillägg / Amendment"),
    ("answer", "Svar / Answer"),
    ("views", "Synpunkter / Views"),
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """What one notification says."""

    subject: str
    body: str


def render(env: Envelope, event: Event, regions: Sequence[str]) -> Rendered:
    """A short mail about one event; every subscriber of it gets the same text."""
    what = event.name.replace(".", " ").replace("-", " ").capitalize()
    names = {r.code: r.name for r in load_regions()}
    region_text = ", ".join(names.get(code, code) for code in regions)
    headline = getattr(event, "title", None) or env.subject
    lines = [
        f"Händelse / Event: {what}",
        f"Region(er) / Region(s): {region_text}",
    ]
    for attr, label in _FIELDS:
        value = getattr(event, attr, None)
        if value:
            lines += ["", f"{label}:", str(value)]
    lines.append("")
    reference = getattr(event, "national_reference", None)
    if reference is not None:
        lines.append(f"Nationell referens / National reference: {reference}")
    lines += [
        f"Avser / Subject: {env.subject}",
        f"Händelse-id / Event id: {env.logical_id}",
        f"Tid / Time: {env.time.isoformat()}",
        "",
        "Automatiskt meddelande från Samverkan. / Automatic message from Samverkan.",
    ]
    subject = f"[Samverkan] {what}: {headline} ({region_text})"
    # A header must stay one line; titles are single-line already, but be sure.
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    return Rendered(subject, "\n".join(lines) + "\n")
