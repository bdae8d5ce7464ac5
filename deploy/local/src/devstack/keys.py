"""Signing keys for the local network: one Ed25519 key per region and the public registry.

Created once under the run folder and reused, like a secret store would hand them out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from samverkan_shared.registry import load_regions
from samverkan_shared.signing import generate_key, public_key_of

__all__ = ["KEY_VALID_FROM", "ensure_keys", "key_id", "key_path", "registry_path"]

KEY_VALID_FROM = "2000-01-01T00:00:00+00:00"


def key_id(region: str) -> str:
    """The id of a region's local signing key."""
    return f"{region}-local-1"


def key_path(folder: Path, region: str) -> Path:
    """Where a region's private key lives."""
    return folder / f"{region}.key"


def registry_path(folder: Path) -> Path:
    """Where the public key registry lives."""
    return folder / "registry.json"


def ensure_keys(folder: Path) -> Path:
    """A key per registered region (kept if present) and a registry of their public keys."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for region in load_regions():
        path = key_path(folder, region.code)
        if not path.exists():
            path.write_text(generate_key() + "\n", encoding="utf-8")
            os.chmod(path, 0o600)
        entries.append(
            {
                "key_id": key_id(region.code),
                "region": region.code,
                "public_key": public_key_of(path.read_text(encoding="utf-8").strip()),
                "valid_from": KEY_VALID_FROM,
                "valid_until": None,
            }
        )
    registry = registry_path(folder)
    registry.write_text(json.dumps({"keys": entries}, indent=2) + "\n", encoding="utf-8")
    return registry
