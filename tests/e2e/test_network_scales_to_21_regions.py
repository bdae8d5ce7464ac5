"""Sweden's 21 regions: every service of the network comes up on one machine, and is weighed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "deploy" / "local" / "regions-21.json"
CLI = Path(sys.executable).parent / "samverkan-dev"
ROW = re.compile(r"^\| (?P<name>[a-z][a-z0-9.-]+) \| (?P<ready>[\d.]+) \| (?P<rss>[\d.]+) \|$")


@pytest.mark.timeout(480)
def test_network_scales_to_21_regions(tmp_path: Path) -> None:
    codes = [r["code"] for r in json.loads(REGISTRY.read_text(encoding="utf-8"))["regions"]]
    assert len(codes) == 21
    out = tmp_path / "scale.md"
    # A process of its own: its registry, broker and ports never touch the session's network.
    proc = subprocess.Popen(
        [
            str(CLI),
            "scale",
            "--regions",
            str(REGISTRY),
            "--out",
            str(out),
            "--logs",
            str(tmp_path / "logs"),
            "--timeout",
            "240",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "SAMVERKAN_REGION_REGISTRY"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        # SIGTERM, not kill: the command then stops every service it started.
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
        pytest.fail(f"scale did not finish in 420 s:\n{output}")

    # Exit 0 means every service's /readyz answered 200 within the command's own timeout.
    assert proc.returncode == 0, output
    assert "23 services for 21 regions ready in" in output, output
    rows = {
        m["name"]: m
        for line in out.read_text(encoding="utf-8").splitlines()
        if (m := ROW.match(line))
    }
    assert set(rows) == {
        "national-council",
        *(f"regional-council.{code}" for code in codes),
        "notifications",
    }
    regional = [name for name in rows if name.startswith("regional-council.")]
    assert len(regional) == 21
    assert all(float(rows[name]["rss"]) > 0 for name in rows)
    assert all(float(rows[name]["ready"]) <= 240 for name in rows)
