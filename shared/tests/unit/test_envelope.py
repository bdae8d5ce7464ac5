"""The envelope round-trips through the Kafka binding and the official CloudEvents SDK reads it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from samverkan_shared.contracts import IssueEscalated
from samverkan_shared.envelope import Envelope, decode_event, from_kafka, region_source, to_kafka
from samverkan_shared.errors import ContractViolation, EnvelopeError, UnknownEventType


def escalation(**overrides: object) -> IssueEscalated:
    fields: dict[str, object] = {
        "issue_id": uuid4(),
        "region": "norra",
        "title": "Brist på VFU-platser",
        "summary": "Sjuksköterskeprogrammet saknar platser",
        "areas": ["clinical-placement"],
        "reason_not_regional": "Kräver nationell dimensionering",
        "requested_outcome": "En nationell bedömning",
        "escalated_at": datetime.now(UTC),
    }
    fields.update(overrides)
    return IssueEscalated.model_validate(fields)


def test_round_trip_keeps_every_attribute() -> None:
    event = escalation()
    env = Envelope.wrap(event, region_source("norra"), causation_id="c-1").with_sequence(7)
    record = to_kafka(env)
    back = from_kafka(record.key, record.value, record.headers)
    assert back.id == env.id
    assert back.sequence == 7
    assert back.causationid == "c-1"
    assert back.partitionkey == str(event.issue_id)
    assert record.key == str(event.issue_id).encode()
    assert decode_event(back) == event


def test_official_sdk_reads_the_binary_mode_message() -> None:
    event = escalation()
    env = Envelope.wrap(event, region_source("norra")).with_sequence(1)
    record = to_kafka(env)
    ce = from_binary_event(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )
    assert ce.get_type() == "se.samverkan.issue.escalated.v1"
    assert ce.get_source() == "/samverkan/regions/norra"
    assert ce.get_extension("sequence") == "1"
    assert ce.get_extension("correlationid") == env.id
    data = ce.get_data()
    assert isinstance(data, dict)
    assert data["title"] == "Brist på VFU-platser"


def test_missing_attribute_is_named() -> None:
    record = to_kafka(Envelope.wrap(escalation(), region_source("norra")))
    headers = [(k, v) for k, v in record.headers if k != "ce_type"]
    with pytest.raises(EnvelopeError, match="ce_type"):
        from_kafka(record.key, record.value, headers)


def test_unknown_type_is_poison() -> None:
    env = Envelope.wrap(escalation(), region_source("norra"))
    with pytest.raises(UnknownEventType, match=r"se\.samverkan\.nonsense\.v9"):
        decode_event(replace(env, type="se.samverkan.nonsense.v9"))


def test_contract_violation_names_the_field() -> None:
    env = Envelope.wrap(escalation(), region_source("norra"))
    data = json.loads(env.data)
    del data["summary"]
    with pytest.raises(ContractViolation, match="summary"):
        decode_event(replace(env, data=json.dumps(data).encode()))


def test_data_that_is_not_json_is_a_contract_violation_on_data() -> None:
    env = Envelope.wrap(escalation(), region_source("norra"))
    with pytest.raises(ContractViolation, match="not JSON") as raised:
        decode_event(replace(env, data=b'{"title": "cut off'))
    assert raised.value.problems[0][0] == "data"


def test_data_that_is_json_but_not_an_object_names_data() -> None:
    env = Envelope.wrap(escalation(), region_source("norra"))
    with pytest.raises(ContractViolation) as raised:
        decode_event(replace(env, data=b"[1, 2]"))
    assert [field for field, _ in raised.value.problems] == ["data"]


def test_unknown_fields_are_tolerated_on_the_way_in() -> None:
    env = Envelope.wrap(escalation(), region_source("norra"))
    data = json.loads(env.data) | {"added_in_v1_1": "ignored"}
    event = decode_event(replace(env, data=json.dumps(data).encode()))
    assert isinstance(event, IssueEscalated)
    assert event.title == "Brist på VFU-platser"


def test_numbering_and_signing_change_those_fields_and_no_other() -> None:
    env = Envelope.wrap(escalation(), region_source("norra"), causation_id="c-1", fanout_id="f-1")
    env = replace(env, traceparent="00-trace-span-01", tracestate="vendor=1")  # every field set
    numbered = env.with_sequence(42)
    assert numbered == replace(env, sequence=42)
    signed = numbered.signed("norra-2026", "c2lnbmF0dXJl")
    assert signed == replace(env, sequence=42, keyid="norra-2026", signature="c2lnbmF0dXJl")
    assert (env.sequence, env.keyid, env.signature) == (None, None, None)  # the original kept
    with pytest.raises(AttributeError):
        signed.sequence = 1  # type: ignore[misc]  # still frozen
