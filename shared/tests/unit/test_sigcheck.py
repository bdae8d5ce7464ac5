"""A batch's signature checks in the helper process: the same verdicts, and no verdict lost
when the helper dies, hangs or is cancelled (a real helper process; no broker, no database)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from samverkan_shared.consumer import EventConsumer
from samverkan_shared.envelope import Envelope, to_kafka
from samverkan_shared.sigcheck import (
    BEHIND_FROM,
    INLINE_SLICE,
    OFFLOAD_FROM,
    SignatureWorker,
    Verifier,
)
from samverkan_shared.sigcheck_worker import FrameError, check_all
from samverkan_shared.signing import (
    Claim,
    KeyRegistry,
    SignatureRejected,
    Signer,
    generate_key,
    public_key_of,
)
from samverkan_shared.uow import Storage

from .contexts import outlives_its_batch
from .fakes import FakeRecord, ListSink, effects_count, escalation
from .test_consumer_and_relay import TOPIC, _handler

PRIVATE = generate_key()


def _verifier(tmp_path: Path, worker: SignatureWorker | None) -> Verifier:
    path = tmp_path / "registry.json"
    entry = {
        "key_id": "norra-1",
        "region": "norra",
        "public_key": public_key_of(PRIVATE),
        "valid_from": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "valid_until": None,
    }
    path.write_text(json.dumps({"keys": [entry]}))
    return Verifier(KeyRegistry.from_file(path), worker)


def _signed(n: int, forged: Collection[int] = ()) -> list[Envelope]:
    signer = Signer("norra-1", PRIVATE)
    out = []
    for i in range(n):
        env = signer.sign(escalation())
        if i in forged:  # changed after signing: the signature no longer covers it
            env = replace(env, data=env.data + b" ")
        out.append(env)
    return out


def _claims(verifier: Verifier, envs: list[Envelope]) -> list[Claim]:
    return [verifier.claim(env) for env in envs]


async def test_the_helper_gives_the_inline_verdicts(tmp_path: Path) -> None:
    worker = SignatureWorker()
    verifier = _verifier(tmp_path, worker)
    claims = _claims(verifier, _signed(OFFLOAD_FROM + 8, forged={0, 17, OFFLOAD_FROM + 7}))
    try:
        verdicts = await verifier.matching(claims, behind=BEHIND_FROM)
        assert worker.started == 1 and worker.pid is not None
        assert [i for i, ok in enumerate(verdicts) if not ok] == [0, 17, OFFLOAD_FROM + 7]
        # The second batch goes to the same helper.
        assert await verifier.matching(claims, behind=BEHIND_FROM) == verdicts
        assert worker.started == 1
    finally:
        await verifier.close()
    assert worker.pid is None


async def test_the_helper_does_not_keep_the_batch_that_started_it(tmp_path: Path) -> None:
    # The helper's pipes and its idle timer live for minutes; made in the batch's context,
    # they kept that batch's records alive as long.
    worker = SignatureWorker()
    verifier = _verifier(tmp_path, worker)
    claims = _claims(verifier, _signed(OFFLOAD_FROM))
    try:
        assert not await outlives_its_batch(lambda: verifier.matching(claims, behind=BEHIND_FROM))
        assert worker.pid is not None  # the helper and its idle timer are still there
    finally:
        await verifier.close()


async def test_a_small_batch_is_checked_inline(tmp_path: Path) -> None:
    worker = SignatureWorker()
    verifier = _verifier(tmp_path, worker)
    claims = _claims(verifier, _signed(OFFLOAD_FROM - 1, forged={3}))
    verdicts = await verifier.matching(claims, behind=BEHIND_FROM)
    assert [i for i, ok in enumerate(verdicts) if not ok] == [3]
    assert worker.started == 0


async def test_a_consumer_keeping_up_checks_inline(tmp_path: Path) -> None:
    worker = SignatureWorker()
    verifier = _verifier(tmp_path, worker)
    claims = _claims(verifier, _signed(OFFLOAD_FROM, forged={3}))
    verdicts = await verifier.matching(claims, behind=BEHIND_FROM - 1)
    assert [i for i, ok in enumerate(verdicts) if not ok] == [3]
    assert worker.started == 0


@pytest.mark.parametrize(
    "fault",
    [signal.SIGKILL, signal.SIGSTOP],  # dead; alive but silent (the answer times out)
    ids=["died", "hung"],
)
async def test_a_failed_helper_is_replaced_and_no_verdict_lost(
    tmp_path: Path, fault: signal.Signals
) -> None:
    worker = SignatureWorker(timeout=0.5)
    verifier = _verifier(tmp_path, worker)
    claims = _claims(verifier, _signed(OFFLOAD_FROM, forged={5}))
    try:
        await verifier.matching(claims, behind=BEHIND_FROM)
        assert worker.pid is not None
        os.kill(worker.pid, fault)
        # This batch finds the helper failed: it is checked inline, with the same verdicts.
        verdicts = await verifier.matching(claims, behind=BEHIND_FROM)
        assert [i for i, ok in enumerate(verdicts) if not ok] == [5]
        # And the next batch starts a new helper.
        assert [
            i for i, ok in enumerate(await verifier.matching(claims, behind=BEHIND_FROM)) if not ok
        ] == [5]
        assert worker.started == 2
    finally:
        await verifier.close()


async def test_a_cancelled_check_leaves_no_answer_for_the_next(tmp_path: Path) -> None:
    worker = SignatureWorker()
    verifier = _verifier(tmp_path, worker)
    good = _claims(verifier, _signed(OFFLOAD_FROM))
    bad = _claims(verifier, _signed(OFFLOAD_FROM, forged=set(range(OFFLOAD_FROM))))
    try:
        assert all(await verifier.matching(good, behind=BEHIND_FROM))  # the helper runs
        task = asyncio.create_task(verifier.matching(bad, behind=BEHIND_FROM))
        for _ in range(3):  # the request is written; its answer not yet read
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Were the cancelled request's answer read as this one's, every verdict would be wrong.
        assert all(await verifier.matching(good, behind=BEHIND_FROM))
    finally:
        await verifier.close()


async def test_an_idle_helper_ends_and_the_next_batch_starts_one(tmp_path: Path) -> None:
    worker = SignatureWorker(idle_exit=0.3)
    verifier = _verifier(tmp_path, worker)
    claims = _claims(verifier, _signed(OFFLOAD_FROM))
    try:
        assert all(await verifier.matching(claims, behind=BEHIND_FROM))
        assert worker.pid is not None
        for _ in range(50):
            await asyncio.sleep(0.1)
            if worker.pid is None:
                break
        assert worker.pid is None
        assert all(await verifier.matching(claims, behind=BEHIND_FROM))
        assert worker.started == 2
    finally:
        await verifier.close()


def test_a_key_that_is_no_curve_point_is_refused_not_raised() -> None:
    nonsense = Claim(b"\0" * 32, b"payload", b"\1" * 64)
    body = nonsense.public_key + nonsense.signature + (7).to_bytes(4, "little") + b"payload"
    assert check_all(2, body + body) == b"\0\0"


def test_a_frame_that_does_not_add_up_is_not_answered() -> None:
    item = b"\0" * 32 + b"\1" * 64 + (7).to_bytes(4, "little") + b"payload"
    with pytest.raises(FrameError):
        check_all(2, item)  # one item short
    with pytest.raises(FrameError):
        check_all(1, item + b"x")  # a byte left over
    with pytest.raises(FrameError):
        check_all(1, item[:-1])  # the message cut


def test_a_signature_of_another_size_is_refused_before_any_helper(tmp_path: Path) -> None:
    """Sizes are what the helper's frame relies on; the registry refuses other sizes."""
    verifier = _verifier(tmp_path, SignatureWorker())
    [env] = _signed(1)
    short = replace(env, signature=base64.b64encode(b"\1" * 63).decode())
    with pytest.raises(SignatureRejected, match="does not match"):
        verifier.claim(short)


async def test_a_forged_event_in_a_big_batch_is_dead_lettered_and_the_rest_applied(
    storage: Storage, tmp_path: Path
) -> None:
    envelopes = _signed(2 * OFFLOAD_FROM, forged={40})
    verifier = _verifier(tmp_path, SignatureWorker())
    sink = ListSink()
    consumer = EventConsumer("test", storage, _handler(storage), sink, verify=verifier)
    records = []
    for i, env in enumerate(envelopes):
        rec = to_kafka(env)
        records.append(FakeRecord(TOPIC, 0, i, rec.key, rec.value, rec.headers))
    try:  # a batch of a consumer behind: its checks go to the helper
        decoded = await consumer.decode_batch(records, behind=BEHIND_FROM)
        await consumer.apply_decoded(records, decoded)
    finally:
        await verifier.close()
    assert verifier.worker is not None and verifier.worker.started == 1
    assert await effects_count(storage) == 2 * OFFLOAD_FROM - 1
    [(_topic, letter)] = sink.sent
    assert dict(letter.headers)["dlq-reason"] == b"bad-signature"
    assert dict(letter.headers)["ce_id"] == envelopes[40].id.encode()


PARENT = """
import asyncio, sys
from nacl.signing import SigningKey
from samverkan_shared.sigcheck import OFFLOAD_FROM, SignatureWorker
from samverkan_shared.signing import Claim

async def main():
    worker = SignatureWorker()
    key = SigningKey.generate()
    claims = [Claim(bytes(key.verify_key), b"m", key.sign(b"m").signature)] * OFFLOAD_FROM
    assert all(await worker.check(claims))
    print("helper", worker.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_a_helper_does_not_outlive_its_service_killed_by_sigkill() -> None:
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PARENT, stdout=asyncio.subprocess.PIPE
    )
    assert parent.stdout is not None
    line = b""
    while not line.startswith(b"helper "):  # the service's own log lines may come first
        line = await asyncio.wait_for(parent.stdout.readline(), 30)
    helper = int(line.split()[1])
    os.kill(helper, 0)  # running
    parent.kill()
    await parent.wait()
    for _ in range(50):  # its input closed with the service: it ends by itself
        await asyncio.sleep(0.1)
        try:
            os.kill(helper, 0)
        except ProcessLookupError:
            return
        if _is_zombie(helper):  # ended, waiting for init to reap it
            return
    pytest.fail(f"the helper {helper} still runs after its service was killed")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


async def test_inline_checks_let_the_event_loop_run_between_slices(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, None)
    claims = _claims(verifier, _signed(3 * INLINE_SLICE))
    turns = 0
    done = False

    async def ticker() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = turns
    assert all(await verifier.matching(claims))
    during = turns - before
    done = True
    await task
    assert during >= 2  # once between each two of the three slices
