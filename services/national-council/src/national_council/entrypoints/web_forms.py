"""Reading HTML form values into what the service layer takes; errors name the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from samverkan_shared.statemachine import InvalidInput

__all__ = ["SWEDEN", "end_of_day", "many", "one", "required"]

SWEDEN = ZoneInfo("Europe/Stockholm")


def one(form: FormData, name: str) -> str:
    """A single field, stripped ('' if absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def required(form: FormData, name: str, max_length: int = 10_000) -> str:
    """A field that must be filled in."""
    value = one(form, name)
    if not value:
        raise InvalidInput(("form", name), "is required")
    if len(value) > max_length:
        raise InvalidInput(("form", name), f"must be at most {max_length} characters")
    if "\x00" in value:
        raise InvalidInput(("form", name), "NUL characters are not accepted")
    return value


def many(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, multi-select), in order, no blanks."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def end_of_day(form: FormData, name: str, *, future: bool = True) -> datetime:
    """A date field as the end of that day in Sweden (what 'by 12 May' means to staff)."""
    raw = required(form, name, 10)
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(("form", name), "must be a date (YYYY-MM-DD)") from exc
    moment = datetime.combine(day, time(23, 59), SWEDEN).astimezone(UTC)
    if future and moment <= datetime.now(UTC):
        raise InvalidInput(("form", name), "must be in the future")
    return moment
