"""The footprint's RSS of a process group: every process in it, a fork not yet exec'd once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.footprint import rss_by_group

LEADER = """
import os, subprocess, sys, time
held = bytearray(os.urandom(64 * 1024 * 1024))  # resident, and the forked child's too
if os.fork() == 0:
    time.sleep(60)  # forked and never exec'd: what a helper's start is for a moment
    os._exit(0)
subprocess.Popen(["sleep", "60"])  # forked and exec'd: a process of its own
time.sleep(0.5)
print("ready", flush=True)
time.sleep(60)
"""


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def test_a_forked_copy_of_the_leader_is_not_counted_twice() -> None:
    leader = subprocess.Popen(
        [sys.executable, "-c", LEADER], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert leader.stdout is not None and leader.stdout.readline() == b"ready\n"
        members = _group(leader.pid)
        assert len(members) == 3  # the leader, its fork, sleep
        own = _rss_mib(leader.pid)
        forked = [p for p in members if p != leader.pid and _rss_mib(p) > 60]
        assert forked, "the fork should show the leader's pages as its own RSS"
        total = rss_by_group({leader.pid})[leader.pid]
        assert own <= total < own + 10  # the leader and sleep, not the fork's copy
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
