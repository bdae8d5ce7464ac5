"""The processes of the network: started, waited for, and stopped together."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from devstack.broker import port_in_use
from devstack.keys import ensure_keys, key_id, key_path
from devstack.preload import fork_service
from samverkan_shared.registry import load_regions

__all__ = ["Process", "ServiceSpec", "Stack", "free_base_port", "network_specs"]

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ServiceSpec:
    """One process: its command, its environment and where it answers."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        """Base URL of its HTTP API."""
        return f"http://127.0.0.1:{self.port}"


def network_specs(
    *,
    bootstrap: str,
    database_url: Callable[[str], str],
    smtp_port: int,
    keys: Path,
    base_port: int = 8000,
    extra_env: dict[str, str] | None = None,
) -> list[ServiceSpec]:
    """National, one regional per registered region, notifications; keys in ``keys``."""
    common = {"SAMVERKAN_KAFKA_BOOTSTRAP_SERVERS": bootstrap, **(extra_env or {})}
    registry = ensure_keys(keys)

    def spec(name: str, script: str, port: int, **env: str) -> ServiceSpec:
        full = {**common, "SAMVERKAN_HTTP_PORT": str(port), **env}
        full["SAMVERKAN_DATABASE_URL"] = database_url(name)
        return ServiceSpec(name, [str(BIN / script), "serve"], port, full)

    specs = [
        spec(
            "national-council",
            "national-council",
            base_port,
            SAMVERKAN_KEY_REGISTRY_FILE=str(registry.resolve()),
        )
    ]
    for i, region in enumerate(load_regions(), start=1):
        specs.append(
            spec(
                f"regional-council.{region.code}",
                "regional-council",
                base_port + 100 + i,
                SAMVERKAN_REGION=region.code,
                SAMVERKAN_SIGNING_KEY_ID=key_id(region.code),
                SAMVERKAN_SIGNING_KEY_FILE=str(key_path(keys, region.code).resolve()),
            )
        )
    specs.append(
        spec("notifications", "notifications", base_port + 200, SAMVERKAN_SMTP_PORT=str(smtp_port))
    )
    return specs


def free_base_port(regions: int, avoid: frozenset[int] = frozenset()) -> int:
    """A base port with national (base), regional (base+101…) and notifications (base+200) free."""
    if regions > 98:
        raise RuntimeError(f"{regions} regions do not fit between base+101 and base+199")
    for _ in range(100):
        # Below 32768, where Linux hands out ephemeral ports (the broker's free_port among them).
        base = random.randrange(20_000, 32_000, 1000)
        ports = [base, *range(base + 101, base + 101 + regions), base + 200]
        if not any(p in avoid or port_in_use(p) for p in ports):
            return base
    raise RuntimeError("no block of free ports between 20000 and 32767")


class Process(Protocol):
    """What a Stack needs of a started process: ``subprocess.Popen`` or ``preload.Forked``."""

    pid: int
    returncode: Any  # int once ended (Popen types it loosely too)

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class Stack:
    """Running processes, each logging to its own file."""

    log_dir: Path
    processes: dict[str, tuple[ServiceSpec, Process]] = field(default_factory=dict)

    def start(self, spec: ServiceSpec) -> None:
        """Start one process in its own process group."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{spec.name}.log").open("ab")
        proc = subprocess.Popen(
            spec.command,
            env={**os.environ, **spec.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[spec.name] = (spec, proc)

    def fork(self, spec: ServiceSpec) -> None:
        """Start one service as a fork of this (preloaded) process (``devstack.preload``)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        proc = fork_service(spec.command, spec.env, self.log_dir / f"{spec.name}.log")
        self.processes[spec.name] = (spec, proc)

    def wait_ready(
        self, timeout: float = 60.0, on_ready: Callable[[str], None] | None = None
    ) -> None:
        """Block until every process answers 200 on /readyz."""
        pending = dict(self.processes)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for name, (spec, proc) in list(pending.items()):
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with {proc.returncode}; see {self.log_dir}/{name}.log"
                        )
                    try:
                        if client.get(f"{spec.url}/readyz").status_code == 200:
                            del pending[name]
                            if on_ready:
                                on_ready(name)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.2)
        if pending:
            raise TimeoutError(f"not ready after {timeout:.0f} s: {sorted(pending)}")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop one process (SIGTERM lets it finish its transaction; SIGKILL does not)."""
        _spec, proc = self.processes.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> None:
        """Stop every process, the last started first."""
        for name in reversed(list(self.processes)):
            self.stop(name)
