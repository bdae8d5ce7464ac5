"""Words the templates need in Swedish and English: event names and area names."""

from __future__ import annotations

from notifications.domain.model import Language

__all__ = ["AREA_NAMES_EN", "EVENT_NAMES", "event_name"]

_T = "se.samverkan."
EVENT_NAMES: dict[str, tuple[str, str]] = {
    _T + "issue.escalated.v1": ("Ärende eskalerat", "Issue escalated"),
    _T + "escalation.amended.v1": ("Eskalering kompletterad", "Escalation amended"),
    _T + "escalation.withdrawn.v1": ("Eskalering återkallad", "Escalation withdrawn"),
    _T + "information.provided.v1": ("Information lämnad", "Information provided"),
    _T + "assessment.acknowledged.v1": ("Bedömning mottagen", "Assessment acknowledged"),
    _T + "consultation.responded.v1": ("Synpunkter lämnade", "Consultation responded"),
    _T + "escalation.received.v1": ("Eskalering mottagen", "Escalation received"),
    _T + "information.requested.v1": ("Begäran om information", "Information requested"),
    _T + "escalation.declined.v1": ("Eskalering avböjd", "Escalation declined"),
    _T + "assessment.published.v1": ("Nationell bedömning publicerad", "Assessment published"),
    _T + "assessment.revised.v1": ("Nationell bedömning reviderad", "Assessment revised"),
    _T + "issue.closed.v1": ("Ärende avslutat", "Issue closed"),
    _T + "issue.progressed.v1": ("Ärende hanteras nationellt", "Issue progressed"),
    _T + "consultation.opened.v1": ("Remiss öppnad", "Consultation opened"),
    _T + "operating-plan.published.v1": ("Verksamhetsplan publicerad", "Operating plan published"),
    _T + "sla.breached.v1": ("Servicenivå överskriden", "Service level breached"),
}

AREA_NAMES_EN: dict[str, str] = {
    "education-dimensioning": "Dimensioning, range and content of education",
    "new-competence-needs": "New knowledge and competence needs in care",
    "continuing-education": "Continuing education and lifelong learning",
    "clinical-placement": "Clinical placement (VFU)",
    "doctoral-staff": "Universities' need for staff with doctorates",
    "clinical-research": "Conditions for clinical research",
}


def event_name(event_type: str, language: str) -> str:
    """The event's name in the language (the type itself if unknown)."""
    names = EVENT_NAMES.get(event_type)
    if names is None:
        return event_type
    return names[0] if language == Language.SV else names[1]
