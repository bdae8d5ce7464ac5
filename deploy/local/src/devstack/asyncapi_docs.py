"""``make asyncapi``: every deployment's AsyncAPI document, written into docs/asyncapi/.

Each service prints its own document (``<service> asyncapi``), built exactly as ``make run``
configures it, so the committed files are what the running services serve at /asyncapi.json.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devstack.stack import ServiceSpec, network_specs

__all__ = ["DOCS", "generate", "main"]

DOCS = Path("docs/asyncapi")
LOCAL_BOOTSTRAP = "127.0.0.1:9092"  # the broker `make run` starts; the documents name it


def _print_document(spec: ServiceSpec) -> str:
    command = [spec.command[0], "asyncapi"]
    done = subprocess.run(
        command, env={**os.environ, **spec.env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec.name}: {' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def generate() -> dict[str, str]:
    """Document text per deployment name (national, one per region, notifications)."""
    with tempfile.TemporaryDirectory() as tmp:
        specs = network_specs(
            bootstrap=LOCAL_BOOTSTRAP,
            database_url=lambda name: f"sqlite+aiosqlite:///{tmp}/{name}.db",
            smtp_port=1025,
            keys=Path(tmp) / "keys",
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            texts = list(pool.map(_print_document, specs))
    return {spec.name: text for spec, text in zip(specs, texts, strict=True)}


def main(folder: Path = DOCS) -> None:
    """Write every document; remove documents of deployments that no longer exist."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = generate()
    for stale in folder.glob("*.json"):
        if stale.stem not in docs:
            stale.unlink()
    for name, text in docs.items():
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
        print(folder / f"{name}.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if sys.argv[1:] else DOCS)
