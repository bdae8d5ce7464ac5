"""The committed deployment files are what the registries generate; drift is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from samverkan_ops.generated import drift, generated_files, write
from tests.deploy.tools import ROOT

SAMVERKAN = Path(sys.executable).parent / "samverkan"


def test_the_committed_files_match_the_registry() -> None:
    assert drift(ROOT) == [], "run `make manifests` and commit the result"


def test_a_hand_edit_is_drift_and_generate_repairs_it(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    topics = tmp_path / "deploy/k8s/kafka/topics.yaml"
    topics.write_text(topics.read_text().replace("partitions: 3", "partitions: 1", 1))
    stray = tmp_path / "deploy/k8s/overlays/regional-council/atlantis/kustomization.yaml"
    stray.parent.mkdir(parents=True)
    stray.write_text("resources: []\n")
    problems = {(d.path, d.problem) for d in drift(tmp_path)}
    assert problems == {
        ("deploy/k8s/kafka/topics.yaml", "changed"),
        (stray.relative_to(tmp_path).as_posix(), "stale"),
    }
    write(tmp_path)
    assert drift(tmp_path) == []
    assert not stray.parent.exists()
    assert len(generated_files()) > 20


def test_check_fails_when_the_registry_gains_regions() -> None:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "SAMVERKAN_REGION_REGISTRY": str(ROOT / "deploy/local/regions-21.json"),
    }
    out = subprocess.run(
        [str(SAMVERKAN), "manifests", "check", "--root", str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 1
    assert "drifted from the registry" in out.stderr
    assert "vastra-gotaland" in out.stderr  # a new region's overlay is missing
    ok = subprocess.run(
        [str(SAMVERKAN), "manifests", "check", "--root", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
