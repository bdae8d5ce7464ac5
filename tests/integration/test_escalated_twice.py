"""An issue the national queue holds open cannot be escalated into it again.

The check reads, for a whole batch at once, which of its issues the queue already knows
(``repository.latest_states``): a second escalation of an open issue is parked with the
reason, whether it arrives in a later batch or beside the first in the same one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer

from samverkan_shared.envelope import Envelope, region_source
from samverkan_shared.topics import upstream
from tests.conftest import Network
from tests.infra import dead_letters, escalated, eventually, national_queue, send

REGION = "sydostra"


def _signed(network: Network, issue_id: UUID) -> Envelope:
    env = Envelope.wrap(escalated(REGION, issue_id), region_source(REGION))
    return network.signer(REGION).sign(env)


async def _rows(network: Network, issue_id: UUID) -> list[dict[str, Any]]:
    async with network.client("national-council") as client:
        rows = await national_queue(client, region=REGION)
    return [r for r in rows if r["regional_issue_id"] == str(issue_id)]


async def _refused(network: Network, env: Envelope) -> dict[str, str]:
    [letter] = await eventually(
        lambda: dead_letters(network.bootstrap, upstream(REGION), "national-council", env.id),
        lambda found: len(found) == 1,
        what="the second escalation parked",
    )
    return letter


async def test_a_later_escalation_of_an_open_issue_is_refused(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    await send(producer, upstream(REGION), _signed(network, issue_id))
    await eventually(lambda: _rows(network, issue_id), lambda rows: len(rows) == 1, what="queued")

    again = _signed(network, issue_id)
    await send(producer, upstream(REGION), again)

    letter = await _refused(network, again)
    assert "already in the queue" in letter["dlq-error"]
    assert len(await _rows(network, issue_id)) == 1


async def test_two_escalations_of_one_issue_sent_together_queue_it_once(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    first, second = _signed(network, issue_id), _signed(network, issue_id)
    await send(producer, upstream(REGION), first)
    await send(producer, upstream(REGION), second)

    letter = await _refused(network, second)
    assert "already in the queue" in letter["dlq-error"]
    assert len(await _rows(network, issue_id)) == 1
