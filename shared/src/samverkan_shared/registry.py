"""The region registry and the area list: data files, never hard-coded names."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["Area", "Region", "RegistryError", "load_areas", "load_regions", "region_codes"]

REGISTRY_ENV = "SAMVERKAN_REGION_REGISTRY"
AREAS_ENV = "SAMVERKAN_AREA_LIST"
_CODE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


class RegistryError(ValueError):
    """A registry file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Region:
    """A health-care region: one regional council, one topic pair."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Area:
    """An area of collaboration (samverkansområde)."""

    code: str
    name: str


def _read(env: str, default: str) -> tuple[str, dict[str, object]]:
    path = os.environ.get(env)
    if path:
        return path, json.loads(Path(path).read_text(encoding="utf-8"))
    text = resources.files("samverkan_shared.data").joinpath(default).read_text(encoding="utf-8")
    return default, json.loads(text)


def _entries(source: str, doc: dict[str, object], key: str) -> list[tuple[str, str]]:
    raw = doc.get(key)
    if not isinstance(raw, list) or not raw:
        raise RegistryError(f"{source}: '{key}' must be a non-empty list")
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(raw):
        code, name = entry.get("code"), entry.get("name")
        if not isinstance(code, str) or not _CODE.match(code):
            raise RegistryError(f"{source}: {key}[{i}].code {code!r} is not a lowercase slug")
        if code in seen:
            raise RegistryError(f"{source}: {key}[{i}].code {code!r} appears twice")
        seen.add(code)
        out.append((code, str(name or code)))
    return out


@cache
def load_regions() -> tuple[Region, ...]:
    """The regions, in registry order (``SAMVERKAN_REGION_REGISTRY`` overrides the file)."""
    source, doc = _read(REGISTRY_ENV, "regions.json")
    return tuple(Region(code, name) for code, name in _entries(source, doc, "regions"))


@cache
def load_areas() -> tuple[Area, ...]:
    """The areas of collaboration (``SAMVERKAN_AREA_LIST`` overrides the file)."""
    source, doc = _read(AREAS_ENV, "areas.json")
    return tuple(Area(code, name) for code, name in _entries(source, doc, "areas"))


@cache
def region_codes() -> frozenset[str]:
    """The codes of every registered region."""
    return frozenset(r.code for r in load_regions())
