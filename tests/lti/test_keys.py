"""The tool's key set: publication before use, overlap after retirement, rotation."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from lti import keys as keys_module
from lti.keys import NoSigningKey, ToolKeySet, generate_key_record, rotate, sign_jwt

OVERLAP = 3600.0


def kids(keyset: ToolKeySet) -> list[str]:
    return [jwk["kid"] for jwk in keyset.jwks()["keys"]]


def test_first_rotation_creates_a_current_and_a_next_key() -> None:
    records = rotate([], now=1000.0)
    keyset = ToolKeySet.from_records(records, 1000.0, OVERLAP)
    assert keyset.current is not None and keyset.next is not None
    assert keyset.signing_key().kid == keyset.current.kid
    assert kids(keyset) == [keyset.next.kid, keyset.current.kid]


def test_next_key_is_published_before_it_signs() -> None:
    records = rotate([], now=1000.0)
    before = ToolKeySet.from_records(records, 1000.0, OVERLAP)
    assert before.next is not None
    assert before.next.kid in kids(before)
    assert before.signing_key().kid != before.next.kid
    after = ToolKeySet.from_records(rotate(records, now=2000.0), 2000.0, OVERLAP)
    assert after.signing_key().kid == before.next.kid


def test_rotation_retires_the_current_key_and_publishes_it_during_the_overlap() -> None:
    records = rotate([], now=1000.0)
    old = ToolKeySet.from_records(records, 1000.0, OVERLAP)
    assert old.current is not None and old.next is not None
    rotated = rotate(records, now=2000.0)
    assert len(rotated) == 3
    during = ToolKeySet.from_records(rotated, 2000.0 + OVERLAP - 1, OVERLAP)
    assert during.next is not None
    assert kids(during) == [during.next.kid, old.next.kid, old.current.kid]
    after = ToolKeySet.from_records(rotated, 2000.0 + OVERLAP, OVERLAP)
    assert old.current.kid not in kids(after)
    assert old.current.kid in {r.kid for r in rotated if r.retired_at == 2000.0}


def test_rotate_leaves_its_input_untouched() -> None:
    records = rotate([], now=1000.0)
    snapshot = list(records)
    rotate(records, now=2000.0)
    assert records == snapshot


def test_rotation_without_a_next_key_only_prepares_one() -> None:
    current = generate_key_record(1000.0, activate=True)
    rotated = rotate([current], now=2000.0)
    keyset = ToolKeySet.from_records(rotated, 2000.0, OVERLAP)
    assert keyset.signing_key().kid == current.kid
    assert keyset.next is not None


def test_no_current_key() -> None:
    keyset = ToolKeySet.from_records([generate_key_record(1.0, activate=False)], 1.0, OVERLAP)
    with pytest.raises(NoSigningKey):
        keyset.signing_key()


def test_jwks_holds_public_rs256_signing_keys_only() -> None:
    keyset = ToolKeySet.from_records(rotate([], now=1.0), 1.0, OVERLAP)
    for jwk in keyset.jwks()["keys"]:
        assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
        assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["e"]) == ("RSA", "RS256", "sig", "AQAB")


def test_signed_jwt_verifies_with_joserfc_against_the_jwks() -> None:
    keyset = ToolKeySet.from_records(rotate([], now=1.0), 1.0, OVERLAP)
    token = sign_jwt({"iss": "relais", "n": 1}, keyset.signing_key())
    decoded = jwt.decode(token, KeySet.import_key_set(keyset.jwks()), algorithms=["RS256"])
    assert decoded.claims == {"iss": "relais", "n": 1}
    assert decoded.header == {"alg": "RS256", "typ": "JWT", "kid": keyset.signing_key().kid}


def test_private_keys_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    records = rotate([], now=1.0)
    keys_module._parsed.clear()
    calls = []
    real = keys_module.serialization.load_pem_private_key

    def counting(data: bytes, password: None) -> object:
        calls.append(data)
        return real(data, password)

    monkeypatch.setattr(keys_module.serialization, "load_pem_private_key", counting)
    for _ in range(3):
        keyset = ToolKeySet.from_records(records, 1.0, OVERLAP)
        sign_jwt({"a": 1}, keyset.signing_key())
        keyset.jwks()
    assert len(calls) == 2  # current and next, once each


def test_record_repr_hides_the_private_key() -> None:
    record = generate_key_record(1.0, activate=True)
    assert "PRIVATE" not in repr(record)
