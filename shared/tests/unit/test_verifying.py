"""A batch's signatures checked on worker threads: every refusal found, at its position."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from samverkan_shared.envelope import Envelope
from samverkan_shared.signing import SignatureRejected
from samverkan_shared.verifying import INLINE_BELOW, failing

from .fakes import escalation


def refusing(bad_ids: set[str], threads: set[str]) -> Callable[[Envelope], None]:
    def verify(env: Envelope) -> None:
        threads.add(threading.current_thread().name)
        if env.id in bad_ids:
            raise SignatureRejected("ce_signature: does not match the content")

    return verify


@pytest.mark.parametrize("count", [1, INLINE_BELOW - 1, INLINE_BELOW, 101, 500])
def test_every_refused_envelope_is_named_by_position(count: int) -> None:
    envelopes = [escalation() for _ in range(count)]
    bad = {0, count // 2, count - 1}
    threads: set[str] = set()
    verify = refusing({envelopes[i].id for i in bad}, threads)

    found = asyncio.run(failing(verify, envelopes))

    assert found == bad


def test_a_large_batch_is_checked_off_the_event_loop_thread() -> None:
    envelopes = [escalation() for _ in range(64)]
    threads: set[str] = set()

    found = asyncio.run(failing(refusing(set(), threads), envelopes))

    assert found == set()
    assert threading.current_thread().name not in threads


def test_an_authentic_small_batch_has_no_refusals() -> None:
    assert asyncio.run(failing(refusing(set(), set()), [escalation()])) == set()
