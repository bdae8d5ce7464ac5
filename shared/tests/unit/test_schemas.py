"""The committed JSON Schemas are exactly what the contracts generate."""

from __future__ import annotations

from samverkan_shared.contracts import EVENT_TYPES
from samverkan_shared.schemas import SCHEMA_DIR, generate, render


def test_every_event_type_has_a_committed_schema() -> None:
    committed = {p.stem for p in SCHEMA_DIR.glob("*.json")}
    assert committed == set(EVENT_TYPES), "run `make schemas` and commit the result"


def test_committed_schemas_match_the_models() -> None:
    for event_type, schema in generate().items():
        path = SCHEMA_DIR / f"{event_type}.json"
        assert path.read_text(encoding="utf-8") == render(schema), (
            f"{path.name} differs from the model; run `make schemas` and commit the diff"
        )


def test_every_type_is_versioned() -> None:
    for event_type in EVENT_TYPES:
        assert event_type.startswith("se.samverkan.")
        assert event_type.rsplit(".", 1)[1].startswith("v")
