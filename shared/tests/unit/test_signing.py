"""Signatures, the key registry and rotation windows, without I/O beyond a temp file."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from samverkan_shared.contracts import AssessmentAcknowledged
from samverkan_shared.envelope import Envelope, attributes, from_kafka, region_source, to_kafka
from samverkan_shared.signing import (
    KeyRegistry,
    SignatureRejected,
    Signer,
    generate_key,
    public_key_of,
    signing_payload,
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


GOOD = {"key_id": "x", "region": "norra", "valid_from": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"key_id": "x", "region": "norra"}, "public_key"),
        ({**GOOD, "public_key": base64.b64encode(b"k" * 31).decode()}, "32 bytes"),
        ({**GOOD, "public_key": 12345}, "bytes-like"),
        ({**GOOD, "public_key": "not base64!"}, "base64|padding|[Ii]nvalid"),
    ],
)
def test_a_malformed_registry_names_the_entry(
    tmp_path: Path, entry: dict[str, object], says: str
) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"keys": [entry]}))
    with pytest.raises(ValueError, match=rf"keys\[0\] is malformed: .*({says})"):
        KeyRegistry.from_file(path)


def test_keys_and_signatures_are_standard_ed25519(tmp_path: Path) -> None:
    """RFC 8032, section 7.1, TEST 2: a regional system's own Ed25519 library agrees with us."""
    seed = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    public = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
    signature = bytes.fromhex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    private = base64.b64encode(seed).decode()
    assert base64.b64decode(public_key_of(private)) == public
    # The registry checks with the same primitive: the RFC's signature of 0x72 verifies.
    registry = _registry(tmp_path, [{**GOOD, "public_key": base64.b64encode(public).decode()}])
    registry.keys["x"].public.verify(b"\x72", signature)


def test_the_signed_bytes_are_the_canonical_json_of_the_attributes() -> None:
    # Built by hand for speed; it must stay byte for byte what json.dumps writes, or every
    # signature made before (and by any other implementation) stops verifying.
    awkward = 'quote " backslash \\ tab \t newline \n nul \x00 del \x7f å 😀 \u2028 </script>'
    env = replace(_envelope(), subject=awkward, correlationid="c\u00e9", causationid=None)
    attrs = {k: v for k, v in attributes(env).items() if k != "signature" and v is not None}
    expected = json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert signing_payload(env) == expected.encode() + b"\n" + env.data
    assert signing_payload(replace(env, signature="ignored")) == signing_payload(env)
