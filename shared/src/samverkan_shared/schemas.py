"""JSON Schema of every event type, generated from the contracts and committed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from samverkan_shared.contracts import EVENT_TYPES

__all__ = ["SCHEMA_DIR", "generate", "render"]

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def generate() -> dict[str, dict[str, object]]:
    """Schema per CloudEvents type, as the contracts define them today."""
    out: dict[str, dict[str, object]] = {}
    for event_type, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:samverkan:schema:{event_type}"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["x-direction"] = cls.direction.value
        out[event_type] = schema
    return out


def render(schema: dict[str, object]) -> str:
    """Stable text for a committed schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file; remove files of types that no longer exist."""
    folder.mkdir(parents=True, exist_ok=True)
    schemas = generate()
    for stale in folder.glob("*.json"):
        if stale.stem not in schemas:
            stale.unlink()
    paths = []
    for event_type, schema in schemas.items():
        path = folder / f"{event_type}.json"
        path.write_text(render(schema), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if sys.argv[1:] != ["write"]:
        sys.exit("usage: python -m samverkan_shared.schemas write")
    for p in write():
        print(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p)
