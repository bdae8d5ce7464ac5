"""The heads a source announces: per topic, the sequence up to which every event was sent."""

from __future__ import annotations

import pytest

from samverkan_shared.relay import OutboxRelay
from samverkan_shared.uow import Storage

from .fakes import ListSink, escalation

NORRA = "samverkan.norra.downstream"
SODRA = "samverkan.sodra.downstream"


async def _emit(storage: Storage, topic: str, n: int) -> None:
    async with storage.unit_of_work() as uow:
        for _ in range(n):
            uow.emit(topic, escalation())
        await uow.commit()


async def test_heads_follow_what_the_relay_sent_not_what_was_numbered(storage: Storage) -> None:
    relay = OutboxRelay(storage, sink := ListSink())
    assert (await relay.heads())[1] == {}  # nothing emitted yet

    await _emit(storage, NORRA, 3)
    await _emit(storage, SODRA, 2)
    assert (await relay.heads())[1] == {}  # numbered and committed, none sent
    assert await relay.drain_once() == 5
    source, heads = await relay.heads()
    assert source == escalation().source
    assert heads == {NORRA: 3, SODRA: 2}

    await _emit(storage, NORRA, 2)  # committed, waiting for the relay
    assert (await relay.heads())[1] == {NORRA: 3, SODRA: 2}
    sink.fail_next = 1  # the broker refuses the next record: the first of the two
    with pytest.raises(ConnectionError):
        await relay.drain_once()
    assert (await relay.heads())[1] == {NORRA: 3, SODRA: 2}
    assert await relay.drain_once() == 2
    assert (await relay.heads())[1] == {NORRA: 5, SODRA: 2}


async def test_rows_marked_for_a_resend_are_not_counted_until_sent_again(
    storage: Storage,
) -> None:
    relay = OutboxRelay(storage, ListSink())
    await _emit(storage, NORRA, 5)
    assert await relay.drain_once() == 5
    assert await relay.resend(NORRA, 3) == 3  # a consumer lost 3, 4 and 5
    assert (await relay.heads())[1] == {NORRA: 2}
    assert await relay.drain_once() == 3
    assert (await relay.heads())[1] == {NORRA: 5}


async def test_a_head_vouches_for_every_event_below_it(storage: Storage) -> None:
    relay = OutboxRelay(storage, ListSink())
    await _emit(storage, NORRA, 5)
    assert await relay.drain_once() == 5
    assert await relay.resend(NORRA, 2, 3) == 2  # 2 and 3 go again; 4 and 5 stay sent
    # Not 5: a consumer at 1 that was told 5 could take 2 and 3 for lost while they are
    # on their way again.
    assert (await relay.heads())[1] == {NORRA: 1}
    assert await relay.drain_once() == 2
    assert (await relay.heads())[1] == {NORRA: 5}
