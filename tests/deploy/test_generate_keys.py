"""The key job of the compose network: what a region signs, the national registry verifies."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from samverkan_shared.contracts import AssessmentAcknowledged
from samverkan_shared.envelope import Envelope, region_source
from samverkan_shared.registry import load_regions
from samverkan_shared.signing import KeyRegistry, SignatureRejected, Signer
from tests.deploy.tools import ROOT

SCRIPT = ROOT / "deploy" / "compose" / "keys" / "generate_keys.py"


def _generate(out: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, check=True
    )
    return done.stdout


def _envelope(region: str) -> Envelope:
    event = AssessmentAcknowledged(
        assessment_id=uuid4(),
        assessment_version=1,
        region=region,
        acknowledged_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, region_source(region)).with_sequence(1)


def test_each_region_signs_and_the_registry_verifies_and_keys_survive_a_rerun(
    tmp_path: Path,
) -> None:
    assert "6 regional keys" in _generate(tmp_path)
    registry = KeyRegistry.from_file(tmp_path / "registry" / "registry.json")
    for region in load_regions():
        folder = tmp_path / region.code
        key_id = (folder / "key-id").read_text().strip()
        assert key_id == f"{region.code}-1"
        assert (folder / "signing.key").stat().st_mode & 0o077 == 0  # private to the owner
        registry.verify(
            Signer.from_file(key_id, folder / "signing.key").sign(_envelope(region.code))
        )
    norra = Signer.from_file("norra-1", tmp_path / "norra" / "signing.key")
    with pytest.raises(SignatureRejected, match="belongs to 'norra'"):
        registry.verify(norra.sign(_envelope("sodra")))  # norra's key cannot speak for sodra
    before = (tmp_path / "norra" / "signing.key").read_text()
    assert "created" not in _generate(tmp_path)  # a second run keeps every key
    assert (tmp_path / "norra" / "signing.key").read_text() == before
