"""The benchmark's CPU meter counts the time of processes that ended (PostgreSQL's backends)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.cpu import POSTGRES, CpuMeter
from devstack.stack import Stack


def test_a_child_that_ended_is_still_counted(tmp_path: Path) -> None:
    meter = CpuMeter(Stack(tmp_path))
    # Count this user's processes as the database's: the child below stands in for a backend
    # that works and exits between two readings, reaped by its parent as the postmaster does.
    meter.postgres_uid = os.getuid()
    before = meter.read()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass",
        ],
        check=True,
    )
    after = meter.read()
    assert after.seconds[POSTGRES] - before.seconds[POSTGRES] >= 0.45
