"""`make run` (``samverkan-dev run``): every service ready and talking; Ctrl-C stops them all.

The services are forks of one preloaded interpreter (``devstack.preload``), so this is also
the test that a forked service is a whole service: it escalates, queues and stops cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devstack.broker import free_port, port_in_use
from devstack.stack import free_base_port
from samverkan_shared.registry import load_regions
from samverkan_shared.settings import DEV_API_TOKEN

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).parent / "samverkan-dev"
AUTH = {"Authorization": f"Bearer {DEV_API_TOKEN}"}
ESCALATION = {
    "title": "Brist på VFU-platser",
    "summary": "Lärosätena kan inte erbjuda VFU till alla antagna studenter.",
    "areas": ["clinical-placement"],
    "reason_not_regional": "Dimensioneringen beslutas nationellt.",
    "requested_outcome": "En nationell bedömning.",
}


def _wait_for(proc: subprocess.Popen[str], text: str, timeout: float) -> str:
    """Read the command's output until a line holds ``text``; everything read so far."""
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    pytest.fail(f"no {text!r} within {timeout:.0f} s:\n{''.join(seen)}")


@pytest.mark.timeout(240)
def test_make_run_serves_an_escalation_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    base, kafka = free_base_port(len(load_regions())), free_port()
    smtp, mail = free_port(), free_port()
    region = load_regions()[0].code
    ports = [base, base + 101, base + 200]
    proc = subprocess.Popen(
        [
            str(CLI),
            "run",
            "--kafka-port",
            str(kafka),
            "--base-port",
            str(base),
            "--smtp-port",
            str(smtp),
            "--mail-port",
            str(mail),
        ],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(proc, "ready in", timeout=150)
        with httpx.Client(headers=AUTH, timeout=10) as client:
            made = client.post(f"http://127.0.0.1:{base + 101}/escalations", json=ESCALATION)
            assert made.status_code == 201, made.text
            regional_id = made.json()["id"]
            deadline = time.monotonic() + 30
            queued: list[dict[str, str]] = []
            while not queued and time.monotonic() < deadline:
                page = client.get(f"http://127.0.0.1:{base}/issues", params={"region": region})
                queued = [r for r in page.json() if r["regional_issue_id"] == regional_id]
                time.sleep(0.3)
            assert queued, "the escalation never reached the national queue"
    finally:
        proc.send_signal(signal.SIGINT)
        output = _wait_for(proc, "every process stopped", timeout=60)
        proc.wait(30)

    assert proc.returncode == 0, output
    assert not [p for p in [*ports, kafka, smtp, mail] if port_in_use(p)]
    logs = tmp_path / ".run" / "logs"
    assert "service stopped" in (logs / "national-council.log").read_text(encoding="utf-8")
    assert "service stopped" in (logs / f"regional-council.{region}.log").read_text(
        encoding="utf-8"
    )
