"""Signing keys for a Samverkan network: one Ed25519 key per region, and the public registry.

    python generate_keys.py OUT_DIR [--owner UID:GID]

Writes ``OUT_DIR/<region>/signing.key`` (private, mode 0400) and ``OUT_DIR/<region>/key-id``
for every region in the registry, keeping keys that already exist, and
``OUT_DIR/registry/registry.json`` with every region's public key for the national council.
Compose runs it as the one-off ``keys`` job (in the regional-council image); for Kubernetes
run it once where the project is installed and load the files into Secrets (deploy/README.md).
Needs only ``samverkan_shared``.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from samverkan_shared.registry import load_regions
from samverkan_shared.signing import generate_key, public_key_of


def key_id(region: str) -> str:
    """The id of a region's first key; rotate by adding a key with a new id (README)."""
    return f"{region}-1"


def _own(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is not None:
        os.chown(path, *owner)


def region_key(out: Path, region: str, owner: tuple[int, int] | None) -> dict[str, object]:
    """Create the region's key unless it exists; its registry entry."""
    folder = out / region
    folder.mkdir(parents=True, exist_ok=True)
    private, ident = folder / "signing.key", folder / "key-id"
    if not private.exists():
        private.write_text(generate_key() + "\n", encoding="utf-8")
        ident.write_text(key_id(region) + "\n", encoding="utf-8")
        print(f"created {private}")
    for path in (private, ident):
        path.chmod(0o400 if path is private else 0o444)
        _own(path, owner)
    created = datetime.fromtimestamp(private.stat().st_mtime, UTC).isoformat()
    return {
        "key_id": ident.read_text(encoding="utf-8").strip(),
        "region": region,
        "public_key": public_key_of(private.read_text(encoding="utf-8").strip()),
        "valid_from": created,
        "valid_until": None,
    }


def main() -> None:
    """Parse the arguments, write the keys and the registry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--owner", default="10001:10001", help="uid:gid of the service user")
    args = parser.parse_args()
    uid, gid = (int(x) for x in args.owner.split(":"))
    owner = (uid, gid) if os.geteuid() == 0 else None  # only root can hand files over
    entries = [region_key(args.out, r.code, owner) for r in load_regions()]
    registry = args.out / "registry" / "registry.json"
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text(json.dumps({"keys": entries}, indent=2) + "\n", encoding="utf-8")
    _own(registry, owner)
    print(f"{len(entries)} regional keys; public registry at {registry}")


if __name__ == "__main__":
    main()
