"""The Dockerfile, checked without a Docker engine: hadolint, and what each stage holds."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.tools import ROOT

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"
SERVICES = ["national-council", "regional-council", "notifications"]


def _stages() -> list[list[str]]:
    """Instructions (continuation lines joined) per stage."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages and line and not line.startswith("#"):
            stages[-1].append(line)
    return stages


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HADOLINT), str(path)], capture_output=True, text=True, check=False)


def test_hadolint_finds_nothing() -> None:
    out = _lint(DOCKERFILE)
    assert out.returncode == 0, out.stdout


def test_hadolint_fails_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN apt-get update && apt-get install -y gcc\n")
    out = _lint(careless)
    assert out.returncode != 0 and "DL3008" in out.stdout  # unpinned apt packages


def test_the_builder_syncs_the_locked_service_without_dev_tools() -> None:
    builder = " ".join(_stages()[0])
    assert 'uv sync --frozen --no-dev --no-editable --package "${SERVICE}"' in builder


def test_the_final_stage_is_slim_non_root_and_checks_health() -> None:
    final = _stages()[-1]
    assert final[0].startswith("FROM ${PYTHON_IMAGE}")
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE.read_text()
    body = "\n".join(final)
    assert re.search(r"^USER 10001:10001$", body, re.M)
    assert "HEALTHCHECK" in body and "/healthz" in body
    assert 'ENTRYPOINT ["samverkan-service"]' in body and 'CMD ["serve"]' in body
    for tool in ("uv ", "pip install", "apt-get", "gcc"):
        assert tool not in body, f"{tool!r} in the final stage"
    assert "COPY --from=builder /app/.venv /app/.venv" in body


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_argument_names_a_console_script(service: str) -> None:
    project = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    assert project["project"]["name"] == service
    assert service in project["project"]["scripts"]


def _ignored(rel: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").removeprefix("**/")
        parts = rel.split("/")
        hit = any(
            fnmatch.fnmatch("/".join(parts[i:j]), pat)
            for i in range(len(parts))
            for j in range(i + 1, len(parts) + 1)
            if pattern.lstrip("!").startswith("**/") or i == 0
        )
        if hit:
            ignored = not negate
    return ignored


@pytest.mark.parametrize("service", SERVICES)
def test_every_copied_path_exists_and_is_in_the_build_context(service: str) -> None:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    sources = []
    for line in _stages()[0]:
        if line.startswith("COPY ") and "--from" not in line:
            sources += line.split()[1:-1]
    assert sources, "no COPY in the builder"
    for source in sources:
        rel = source.replace("${SERVICE}", service).rstrip("/")
        assert (ROOT / rel).exists(), rel
        assert not _ignored(rel, patterns), f"{rel} is excluded by .dockerignore"
    src = ROOT / "services" / service / "src"
    kept = [
        p
        for p in src.rglob("*")
        if p.is_file() and not _ignored(p.relative_to(ROOT).as_posix(), patterns)
    ]
    assert any(p.name == "env.py" for p in kept), "migrations must reach the image"
    assert not any("__pycache__" in p.parts for p in kept)
