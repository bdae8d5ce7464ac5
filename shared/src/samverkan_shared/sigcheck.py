"""Signature checks for a consumer: one at a time on the event loop, a big batch's elsewhere.

The national council checks the Ed25519 signature of every event it reads. At ingest, with a
backlog to work off, those checks were a quarter of the event loop's CPU (about 60 µs an
event of 230), and the event loop is what limits the service: the batch being decoded
shares it with the batch being applied. When a consumer is ``BEHIND_FROM`` records behind, a
batch's checks are done by a helper process (``samverkan_shared.sigcheck_worker``) on the
other core while the loop goes on applying; otherwise — the everyday trickle of a few events a
minute, or a busy network the consumer keeps up with — they are checked inline.

Threads cannot do this: a check on a worker thread waits for the GIL between checks while
the loop's thread holds it (measured in the README's fifth round). The helper starts with
the first big batch, ends when idle for ``IDLE_EXIT`` seconds, and when it fails (it died,
it did not answer) the batch is checked inline and the next big batch starts a new one.
What key may sign what stays here, with the registry; the helper only does the arithmetic.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nacl

from samverkan_shared import sigcheck_worker
from samverkan_shared.envelope import Envelope
from samverkan_shared.logs import get_logger
from samverkan_shared.sigcheck_worker import HEADER, KEY, LENGTH, SIGNATURE
from samverkan_shared.signing import Claim, KeyRegistry, matches

__all__ = ["BEHIND_FROM", "INLINE_SLICE", "OFFLOAD_FROM", "SignatureWorker", "Verifier"]

log = get_logger(__name__)

BEHIND_FROM = 1_000
"""Records a consumer must be behind (beyond the batch, in its partitions' logs) before its
checks go to the helper: then the event loop is what limits it. A consumer keeping up,
even on a saturated machine, checks inline: there the helper only added a process to wake.
At 200 escalations a second offered to the whole network (two cores, saturated), the
national council's escalation p99 read 556 · 895 · 978 ms with the helper taking batches of
32 or 100, 436 · 446 ms without it, and its RSS 138-141 MiB against 128-129."""

OFFLOAD_FROM = 32
"""Envelopes from which a batch's checks go to the helper (fewer take about 2 ms inline)."""

INLINE_SLICE = 32
"""Checks done inline between two turns of the event loop (about 1.5 ms)."""

IDLE_EXIT = 60.0
"""Seconds without a request after which the helper ends (its memory goes back)."""

ANSWER_TIMEOUT = 30.0
"""Seconds to wait for an answer before the helper is taken for dead (a batch takes ms)."""

HELPER = (
    sys.executable,
    "-I",  # no PYTHON* variables, no user site
    "-S",  # no site: the helper imports libsodium's module and nothing else (9.5 MiB of RSS)
    str(Path(sigcheck_worker.__file__)),
    str(Path(nacl.__file__).parent.parent),  # where PyNaCl is installed
)
"""The helper's command line."""


class SignatureWorker:
    """The helper process, started when first needed; one request at a time."""

    def __init__(self, *, idle_exit: float = IDLE_EXIT, timeout: float = ANSWER_TIMEOUT) -> None:
        self.idle_exit = idle_exit
        self.timeout = timeout
        self.started = 0
        """How many helpers were started (for tests and the log)."""
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._last_used = 0.0
        self._idle_check: asyncio.TimerHandle | None = None
        # The idle exit's task, held: the event loop keeps only a weak reference to a task.
        self._retiring: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        """The running helper's process id, if one runs."""
        return self._process.pid if self._process is not None else None

    async def check(self, claims: Sequence[Claim]) -> list[bool]:
        """Whether each signature matches. Raises OSError (or a timeout) if the helper failed;
        it is stopped then, and the next call starts another."""
        if any(len(c.public_key) != KEY or len(c.signature) != SIGNATURE for c in claims):
            # The helper reads keys and signatures by their fixed sizes: another size would
            # shift every later item of the frame onto another's verdict.
            raise ValueError("a claim's key or signature is not of Ed25519's size")
        body = b"".join(
            c.public_key + c.signature + LENGTH.pack(len(c.payload)) + c.payload for c in claims
        )
        async with self._lock:
            try:
                process = await self._running()
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(HEADER.pack(len(claims), len(body)) + body)
                await process.stdin.drain()
                async with asyncio.timeout(self.timeout):
                    answer = await process.stdout.readexactly(len(claims))
            except (OSError, EOFError, TimeoutError):  # IncompleteReadError is an EOFError
                await self._stop()
                raise
            except asyncio.CancelledError:  # an answer left unread would answer the next request
                self._abandon()
                raise
            self._last_used = time.monotonic()
            if self._idle_check is None:
                self._idle_check = asyncio.get_running_loop().call_later(
                    self.idle_exit, self._retire_if_idle, context=contextvars.Context()
                )
        return [b == 1 for b in answer]

    def _retire_if_idle(self) -> None:
        self._idle_check = None
        idle = time.monotonic() - self._last_used
        if idle < self.idle_exit:  # used since: look again when it could have been idle long enough
            loop = asyncio.get_running_loop()
            self._idle_check = loop.call_later(
                self.idle_exit - idle, self._retire_if_idle, context=contextvars.Context()
            )
        elif self._process is not None:
            self._retiring = asyncio.create_task(self.close(), name="signature helper: retire")

    async def _running(self) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        began = time.perf_counter()
        # Started, and its idle check timed, in an empty context: the helper's pipes and timer
        # live for minutes, and a copy of the batch's context (FastStream puts the message in
        # it) would keep that batch's records alive as long (seen: 7-9 batches, about 3 MiB).
        self._process = await asyncio.create_task(
            asyncio.create_subprocess_exec(
                *HELPER, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            ),
            context=contextvars.Context(),
        )
        self.started += 1
        log.info(
            "signature helper started",
            pid=self._process.pid,
            took_ms=round((time.perf_counter() - began) * 1000, 1),
        )
        return self._process

    async def close(self) -> None:
        """End the helper (it exits when its input closes)."""
        async with self._lock:
            await self._stop()

    def _abandon(self) -> None:
        """Kill the helper without waiting (its exit is reaped by the event loop)."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def _stop(self) -> None:
        if self._idle_check is not None:
            self._idle_check.cancel()
            self._idle_check = None
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            async with asyncio.timeout(2.0):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class Verifier:
    """Checks envelopes against a key registry: ``verifier(env)`` one; for a batch, ``claim``
    each and then ask ``matching`` about them all."""

    def __init__(
        self,
        registry: KeyRegistry,
        worker: SignatureWorker | None = None,
        *,
        offload_from: int = OFFLOAD_FROM,
        behind_from: int = BEHIND_FROM,
    ) -> None:
        self.registry = registry
        self.worker = worker
        self.offload_from = offload_from
        self.behind_from = behind_from

    def __call__(self, env: Envelope) -> None:
        """Raise SignatureRejected unless the source region's valid key signed exactly this."""
        self.registry.verify(env)

    def claim(self, env: Envelope) -> Claim:
        """The registry's part of the check (``KeyRegistry.claim``); raises SignatureRejected."""
        return self.registry.claim(env)

    async def matching(self, claims: Sequence[Claim], *, behind: int = 0) -> list[bool]:
        """Whether each claim's signature matches: in the helper for a big batch of a consumer
        ``behind`` by ``BEHIND_FROM`` records or more."""
        if (
            self.worker is not None
            and len(claims) >= self.offload_from
            and behind >= self.behind_from
        ):
            try:
                return await self.worker.check(claims)
            except (OSError, EOFError, TimeoutError, ValueError) as exc:
                log.warning("signature helper failed: checking inline", error=repr(exc))
        # Inline, a slice at a time: a batch's transaction waiting on PostgreSQL is answered
        # between slices, not after every check of the batch (as the decoding does).
        verdicts: list[bool] = []
        for start in range(0, len(claims), INLINE_SLICE):
            if start:
                await asyncio.sleep(0)
            verdicts += [matches(c) for c in claims[start : start + INLINE_SLICE]]
        return verdicts

    async def close(self) -> None:
        """Stop the helper, if one runs."""
        if self.worker is not None:
            await self.worker.close()
