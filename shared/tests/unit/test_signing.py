"""Signatures, the key registry and rotation windows, without I/O beyond a temp file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from samverkan_shared.contracts import AssessmentAcknowledged
from samverkan_shared.envelope import Envelope, from_kafka, region_source, to_kafka
from samverkan_shared.signing import (
    KeyRegistry,
    SignatureRejected,
    Signer,
    generate_key,
    public_key_of,
)

NOW = datetime.now(UTC)


def _envelope(region: str = "norra", at: datetime = NOW) -> Envelope:
    event = AssessmentAcknowledged(
        assessment_id=uuid4(), assessment_version=1, region=region, acknowledged_at=NOW
    )
    return replace(Envelope.wrap(event, region_source(region)), time=at).with_sequence(3)


def _registry(tmp_path: Path, entries: list[dict[str, object]]) -> KeyRegistry:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"keys": entries}))
    return KeyRegistry.from_file(path)


def _entry(
    key_id: str, region: str, private: str, start: datetime, end: datetime | None
) -> dict[str, object]:
    return {
        "key_id": key_id,
        "region": region,
        "public_key": public_key_of(private),
        "valid_from": start.isoformat(),
        "valid_until": end.isoformat() if end else None,
    }


def test_a_signature_survives_the_wire_and_verifies(tmp_path: Path) -> None:
    private = generate_key()
    registry = _registry(tmp_path, [_entry("n1", "norra", private, NOW - timedelta(days=1), None)])
    signed = Signer("n1", private).sign(_envelope())
    record = to_kafka(signed)
    registry.verify(from_kafka(record.key, record.value, record.headers))


def test_the_sequence_is_covered(tmp_path: Path) -> None:
    private = generate_key()
    registry = _registry(tmp_path, [_entry("n1", "norra", private, NOW - timedelta(days=1), None)])
    signed = Signer("n1", private).sign(_envelope())
    with pytest.raises(SignatureRejected, match="does not match"):
        registry.verify(signed.with_sequence(4))


def test_rotation_old_and_new_keys_each_valid_in_their_window(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    switch = NOW - timedelta(hours=1)
    registry = _registry(
        tmp_path,
        [
            _entry("n-2025", "norra", old, NOW - timedelta(days=365), switch),
            _entry("n-2026", "norra", new, switch - timedelta(hours=1), None),  # overlap
        ],
    )
    registry.verify(Signer("n-2026", new).sign(_envelope()))
    registry.verify(Signer("n-2025", old).sign(_envelope(at=switch - timedelta(minutes=5))))
    with pytest.raises(SignatureRejected, match="was not valid"):
        registry.verify(Signer("n-2025", old).sign(_envelope()))


def test_a_key_of_another_region_is_refused(tmp_path: Path) -> None:
    private = generate_key()
    registry = _registry(tmp_path, [_entry("s1", "sodra", private, NOW - timedelta(days=1), None)])
    with pytest.raises(SignatureRejected, match="belongs to 'sodra'"):
        registry.verify(Signer("s1", private).sign(_envelope("norra")))


def test_unknown_key_and_unsigned_are_refused(tmp_path: Path) -> None:
    registry = _registry(tmp_path, [])
    with pytest.raises(SignatureRejected, match="not signed"):
        registry.verify(_envelope())
    with pytest.raises(SignatureRejected, match="unknown key"):
        registry.verify(Signer("ghost", generate_key()).sign(_envelope()))


def test_a_malformed_registry_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"keys": [{"key_id": "x", "region": "norra"}]}))
    with pytest.raises(ValueError, match=r"keys\[0\]"):
        KeyRegistry.from_file(path)
