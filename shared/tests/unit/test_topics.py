"""Topics are derived from the region registry in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samverkan_shared import registry
from samverkan_shared.topics import (
    all_topics,
    dead_letter,
    downstream,
    intake,
    intake_errors,
    region_of_topic,
    upstream,
)


def test_per_region_the_dialogue_the_intake_and_their_dead_letters() -> None:
    names = {t.name for t in all_topics()}
    codes = [r.code for r in registry.load_regions()]
    assert len(codes) == 6
    for code in codes:
        assert {upstream(code), downstream(code)} <= names
        assert {dead_letter(upstream(code)), dead_letter(downstream(code))} <= names
        assert {intake(code), dead_letter(intake(code)), intake_errors(code)} <= names
    assert len(names) == 7 * len(codes) + 1  # and the control topic


def test_region_of_topic() -> None:
    assert region_of_topic(upstream("stockholm-gotland")) == "stockholm-gotland"
    assert region_of_topic(dead_letter(downstream("sodra"))) == "sodra"


def test_registry_file_decides_the_regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "regions.json"
    path.write_text(json.dumps({"regions": [{"code": "a-region", "name": "A"}]}))
    monkeypatch.setenv(registry.REGISTRY_ENV, str(path))
    registry.load_regions.cache_clear()
    try:
        assert {t.name for t in all_topics()} >= {
            "samverkan.a-region.upstream",
            "samverkan.a-region.upstream.dlq",
        }
    finally:
        monkeypatch.delenv(registry.REGISTRY_ENV)
        registry.load_regions.cache_clear()


def test_malformed_registry_names_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "regions.json"
    path.write_text(json.dumps({"regions": [{"code": "Bad Code"}]}))
    monkeypatch.setenv(registry.REGISTRY_ENV, str(path))
    registry.load_regions.cache_clear()
    try:
        with pytest.raises(registry.RegistryError, match=r"regions\[0\]\.code"):
            registry.load_regions()
    finally:
        monkeypatch.delenv(registry.REGISTRY_ENV)
        registry.load_regions.cache_clear()
