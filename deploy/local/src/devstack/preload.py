"""`make run` forks the services from one interpreter that imported them once.

Every service imports the same libraries (SQLAlchemy, FastAPI, FastStream, pydantic,
alembic …): ~2 s of CPU each. Eight of them starting at once on two cores spent most of
`make run`'s ~20 s importing the same modules eight times (measured: ``import
regional_council.cli`` 2.2 s, ``national_council.cli`` 1.9 s). Here they are imported once,
and each service is a ``fork()`` of that process: it starts with every module loaded and
shares the pages until it writes them. Deployments are unaffected: there each service is
its own image and process (``deploy/``); this is the local stack only.

A forked child may only rely on what survives ``fork()`` with threads in the parent (the
progress display draws from a thread): it gets fresh standard streams on its log file,
default signal handlers, its own session, and leaves with ``os._exit``.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

__all__ = ["SERVICE_MODULES", "Forked", "fork_service", "preload"]

SERVICE_MODULES = ("national_council.cli", "regional_council.cli", "notifications.cli")


def preload() -> None:
    """Import every service's command-line module (and so all they depend on)."""
    for module in SERVICE_MODULES:
        importlib.import_module(module)


def _console_script(path: str) -> Callable[[], object]:
    """The callable behind an installed console script (``.venv/bin/national-council``)."""
    name = Path(path).name
    [found] = [ep for ep in entry_points(group="console_scripts") if ep.name == name]
    return found.load()  # type: ignore[no-any-return]


class Forked:
    """A forked process, with the part of ``subprocess.Popen`` that a ``Stack`` uses."""

    def __init__(self, pid: int, command: list[str]) -> None:
        self.pid = pid
        self.args = command
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code if the process ended (reaped), else None."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end; ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            time.sleep(0.05)
        return code


def fork_service(command: list[str], env: dict[str, str], log: Path) -> Forked:
    """Run an installed console script (``command``) in a forked child logging to ``log``."""
    main = _console_script(command[0])
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    pid = os.fork()
    if pid:
        os.close(fd)
        return Forked(pid, command)
    code = 1
    try:
        os.setsid()  # its own process group, as Popen(start_new_session=True) gives
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        # New stream objects: the parent's may have been locked by its display thread.
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        os.environ.update(env)
        sys.argv = list(command)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # the child must never return into the parent's code
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
