"""The operator's recovery commands on the running network: `dlq list`, `dlq replay`, `replay`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from samverkan_shared.contracts import EscalationAmended, IssueEscalated
from samverkan_shared.envelope import NATIONAL_SOURCE, Envelope, region_source
from samverkan_shared.topics import dead_letter, downstream, upstream
from tests.conftest import Network
from tests.infra import dead_letters, eventually, national_queue, send

SAMVERKAN = str(Path(sys.executable).parent / "samverkan")


async def samverkan(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it, in its own process."""
    return await asyncio.to_thread(
        subprocess.run,
        [SAMVERKAN, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": "220", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def _escalated(issue_id: Any) -> IssueEscalated:
    return IssueEscalated(
        issue_id=issue_id,
        region="sodra",
        title="Brist på handledare i VFU",
        summary="Handledarna räcker inte till.",
        areas=["clinical-placement"],
        reason_not_regional="Dimensioneras nationellt.",
        requested_outcome="En nationell bedömning.",
        escalated_at=datetime.now(UTC),
    )


async def _amendments(network: Network, regional_id: str) -> list[dict[str, Any]] | None:
    async with network.client("national-council") as client:
        rows = await national_queue(client, region="sodra")
        mine = [r for r in rows if r["regional_issue_id"] == regional_id]
        if not mine:
            return None
        return list((await client.get(f"/issues/{mine[0]['id']}")).json()["amendments"])


async def test_a_dead_letter_is_listed_and_applied_when_replayed_after_the_fix(
    network: Network, producer: AIOKafkaProducer
) -> None:
    issue_id = uuid4()
    signer = network.signer("sodra")
    # The amendment overtakes its escalation (sent without a sequence, as a system that
    # bypassed the outbox would): national cannot apply it and parks it as rejected.
    amendment = signer.sign(
        Envelope.wrap(
            EscalationAmended(
                issue_id=issue_id,
                region="sodra",
                amendment="Underlag från tre lärosäten.",
                amended_at=datetime.now(UTC),
            ),
            region_source("sodra"),
        )
    )
    await send(producer, upstream("sodra"), amendment)
    parked = await eventually(
        lambda: dead_letters(
            network.bootstrap, upstream("sodra"), "national-council", amendment.id
        ),
        bool,
        what="the amendment dead-lettered",
    )
    assert parked[0]["dlq-reason"] == "rejected"

    listed = await samverkan(
        "dlq", "list", "--bootstrap", network.bootstrap, "--topic", dead_letter(upstream("sodra"))
    )
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if amendment.id in line)
    assert "se.samverkan.escalation.amended.v1" in row and "rejected" in row
    assert "national-council" in row

    # The fix: the escalation arrives. Then the operator re-drives that one letter.
    await send(
        producer,
        upstream("sodra"),
        signer.sign(Envelope.wrap(_escalated(issue_id), region_source("sodra"))),
    )
    await eventually(lambda: _amendments(network, str(issue_id)), lambda a: a == [], what="issue")
    replayed = await samverkan(
        "dlq", "replay", "--bootstrap", network.bootstrap, "--event-id", amendment.id
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "1 dead letter(s) re-driven" in replayed.stdout
    applied = await eventually(
        lambda: _amendments(network, str(issue_id)), bool, what="the replayed amendment applied"
    )
    assert applied is not None
    assert [a["amendment"] for a in applied] == ["Underlag från tre lärosäten."]

    # Re-driving it again changes nothing: the inbox has it.
    again = await samverkan(
        "dlq", "replay", "--bootstrap", network.bootstrap, "--event-id", amendment.id
    )
    assert "1 dead letter(s) re-driven" in again.stdout
    await asyncio.sleep(3.0)
    assert len(await _amendments(network, str(issue_id)) or []) == 1


async def test_dlq_list_filters_by_reason_and_says_when_there_is_nothing(network: Network) -> None:
    nothing = await samverkan(
        "dlq", "list", "--bootstrap", network.bootstrap, "--reason", "no-such-reason"
    )
    assert nothing.returncode == 0, nothing.stderr
    assert "0 dead letter(s)" in nothing.stdout


async def _regional_issue(network: Network) -> str:
    async with network.client("regional-council.sodra") as client:
        response = await client.post(
            "/escalations",
            json={
                "title": "Återsändning ska inte göra något två gånger",
                "summary": "Ett ärende som operatören skickar om.",
                "areas": ["continuing-education"],
                "reason_not_regional": "Beslutas nationellt.",
                "requested_outcome": "En nationell bedömning.",
            },
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _received(network: Network, issue: str) -> dict[str, Any]:
    async with network.client("regional-council.sodra") as client:
        return dict((await client.get(f"/issues/{issue}")).json())


async def test_replay_from_resends_the_outbox_and_nothing_applies_twice(network: Network) -> None:
    issue = await _regional_issue(network)
    before = await eventually(
        lambda: _received(network, issue),
        lambda i: bool(i.get("national_reference")),
        what="national's receipt at sodra",
    )

    result = await samverkan(
        "replay",
        "--from",
        "1",
        "--source",
        NATIONAL_SOURCE,
        "--topic",
        downstream("sodra"),
        "--bootstrap",
        network.bootstrap,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if downstream("sodra") in line)
    count = int(row.split("│")[-2])
    assert count >= 1  # at least the receipt of our escalation

    # Every re-sent copy reaches sodra and is absorbed: the issue is as it was.
    await asyncio.sleep(4.0)
    after = await _received(network, issue)
    assert after == before


async def test_replay_from_names_a_source_that_does_not_answer(network: Network) -> None:
    result = await samverkan(
        "replay",
        "--from",
        "1",
        "--source",
        "/samverkan/regions/nowhere",
        "--topic",
        upstream("sodra"),
        "--timeout",
        "3",
        "--bootstrap",
        network.bootstrap,
    )
    assert result.returncode == 1
    assert "/samverkan/regions/nowhere did not answer" in result.stdout
