"""An issue's timeline: what came from the region, what went to it, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Entry", "timeline"]

_REGION_STATES = {"withdrawn"}  # transitions the region causes (its events), not staff


@dataclass(frozen=True)
class Entry:
    """One line of the timeline; ``direction`` is in (from the region), out, or audit."""

    at: datetime
    direction: str
    what: str
    text: str | None = None
    actor: str | None = None


def timeline(issue: dict[str, Any], assessments: list[dict[str, Any]]) -> list[Entry]:
    """Every dated fact of the issue, oldest first; built from rows already read."""
    entries = [Entry(issue["received_at"], "in", "escalation received", issue["title"])]
    for note in issue.get("amendments", []):
        entries.append(Entry(note["amended_at"], "in", "amendment", note["amendment"]))
    for req in issue.get("information_requests", []):
        entries.append(Entry(req["requested_at"], "out", "information requested", req["question"]))
        if req.get("answered_at") is not None:
            entries.append(Entry(req["answered_at"], "in", "information answered", req["answer"]))
    for assessment in assessments:
        for version in assessment["versions"]:
            entries.append(
                Entry(
                    version["published_at"],
                    "out",
                    f"assessment v{version['version']} published",
                    version["title"],
                    version["published_by"],
                )
            )
    for row in issue.get("transitions", []):
        action = row.get("action") or "transition"
        if action == "transition":
            what = f"{row['from_state'] or '—'} → {row['to_state']}"
        else:
            what = action
        direction = (
            "in" if row["to_state"] in _REGION_STATES and action == "transition" else "audit"
        )
        entries.append(Entry(row["at"], direction, what, row.get("reason"), row["actor"]))
    order = {"in": 0, "out": 1, "audit": 2}
    return sorted(entries, key=lambda e: (e.at, order[e.direction]))
