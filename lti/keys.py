"""The tool's own RSA keys: publication, signing and rotation.

A key lives through three states, all derived from its timestamps:

* **next** (created, not activated): published in the JWKS *before* it signs anything, so that
  every platform has had the chance to fetch it by the time it is used;
* **current** (the newest activated, not retired): signs every message of the tool;
* **retired**: signs nothing, but stays published for ``overlap_seconds`` so that a token it
  signed just before the rotation still verifies on the platform.

Parsing a private PEM costs tens of milliseconds, so each key is parsed once per process and
cached by ``(kid, pem)``; signing reuses the parsed key object.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "NoSigningKey",
    "SigningKey",
    "ToolKeyRecord",
    "ToolKeySet",
    "generate_key_record",
    "public_jwk",
    "rotate",
    "sign_jwt",
]

KEY_SIZE = 2048


class NoSigningKey(LookupError):
    """The key set has no current key: the operator must run a rotation first.

    Not an ``LtiError``: it is a setup fault of the tool, never caused by a request.
    """


@dataclass(frozen=True, slots=True)
class ToolKeyRecord:
    """One stored tool key. Times are seconds since the epoch."""

    kid: str
    private_pem: bytes
    created_at: float
    activated_at: float | None = None
    retired_at: float | None = None

    def __repr__(self) -> str:  # never print the private key
        return (
            f"ToolKeyRecord(kid={self.kid!r}, created_at={self.created_at!r}, "
            f"activated_at={self.activated_at!r}, retired_at={self.retired_at!r})"
        )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A parsed private key and the ``kid`` that names it in the JWKS."""

    kid: str
    private_key: rsa.RSAPrivateKey

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


_parsed: dict[tuple[str, bytes], rsa.RSAPrivateKey] = {}
_parsed_lock = threading.Lock()


def _load(record: ToolKeyRecord) -> rsa.RSAPrivateKey:
    # Keyed by the PEM too: two instances could (wrongly) reuse a kid for different keys, and
    # a cache keyed by kid alone would then sign with the wrong one.
    cache_key = (record.kid, record.private_pem)
    key = _parsed.get(cache_key)
    if key is None:
        loaded = serialization.load_pem_private_key(record.private_pem, password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"tool key {record.kid!r} is not an RSA key")
        with _parsed_lock:
            key = _parsed.setdefault(cache_key, loaded)
    return key


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(kid: str, public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public JWK (RFC 7517) of ``public_key``, for RS256 signatures."""
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
    }


class ToolKeySet:
    """The tool's keys at one instant: which one signs, which ones are published."""

    def __init__(
        self,
        current: ToolKeyRecord | None,
        next_: ToolKeyRecord | None,
        retired: Iterable[ToolKeyRecord] = (),
    ) -> None:
        self.current = current
        self.next = next_
        self.retired = tuple(retired)

    @classmethod
    def from_records(
        cls, records: Iterable[ToolKeyRecord], now: float, overlap_seconds: float
    ) -> ToolKeySet:
        """Sort ``records`` into next, current and still-published retired keys.

        The current key is the newest activated and not retired one; the next key the newest
        never activated one; retired keys are kept while ``retired_at + overlap_seconds > now``.
        Raises ``ValueError`` when a stored PEM is not an RSA private key.
        """
        current: ToolKeyRecord | None = None
        next_: ToolKeyRecord | None = None
        retired: list[ToolKeyRecord] = []
        for record in records:
            if record.retired_at is not None:
                if record.retired_at + overlap_seconds > now:
                    retired.append(record)
            elif record.activated_at is not None:
                if current is None or (current.activated_at or 0.0) < record.activated_at:
                    if current is not None:
                        # Two active keys: the older one must still verify, so publish it.
                        retired.append(current)
                    current = record
                else:
                    retired.append(record)
            elif next_ is None or next_.created_at < record.created_at:
                next_ = record
        for kept in (current, next_, *retired):
            if kept is not None:
                _load(kept)  # parse now: fail at startup, not at the first launch
        return cls(current, next_, retired)

    def signing_key(self) -> SigningKey:
        """The current key, parsed. Raises :class:`NoSigningKey` when there is none."""
        if self.current is None:
            raise NoSigningKey("no active tool key: run a key rotation")
        return SigningKey(self.current.kid, _load(self.current))

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public key set to serve at the tool's JWKS URL: next, current, then retired."""
        keys = []
        for record in (self.next, self.current, *self.retired):
            if record is not None:
                keys.append(public_jwk(record.kid, _load(record).public_key()))
        return {"keys": keys}


def generate_key_record(now: float, activate: bool) -> ToolKeyRecord:
    """A fresh RSA-2048 key with a random url-safe kid, activated at ``now`` if ``activate``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    record = ToolKeyRecord(
        kid=secrets.token_urlsafe(16),
        private_pem=pem,
        created_at=now,
        activated_at=now if activate else None,
    )
    with _parsed_lock:
        _parsed[(record.kid, pem)] = key
    return record


def rotate(records: Iterable[ToolKeyRecord], now: float) -> list[ToolKeyRecord]:
    """The records after one rotation; the input is left untouched.

    The next key becomes current, the current one is retired and a fresh next key is created.
    With no records at all, a current and a next key are created. With a current key but no
    next one, only a next key is created: activating a key nobody has fetched yet would make
    the platforms reject what it signs, so the switch waits for the following rotation.
    """
    records = list(records)
    if not records:
        return [generate_key_record(now, activate=True), generate_key_record(now, activate=False)]
    keyset = ToolKeySet.from_records(records, now, overlap_seconds=float("inf"))
    if keyset.next is None:
        return [*records, generate_key_record(now, activate=False)]
    out: list[ToolKeyRecord] = []
    for record in records:
        if record is keyset.next:
            out.append(replace(record, activated_at=now))
        elif record.retired_at is None and record.activated_at is not None:
            out.append(replace(record, retired_at=now))
        else:
            out.append(record)
    out.append(generate_key_record(now, activate=False))
    return out


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign_jwt(
    claims: Mapping[str, Any], key: SigningKey, *, headers: Mapping[str, str] | None = None
) -> str:
    """``claims`` as a compact RS256 JWS with ``kid`` and ``typ: JWT`` in its header.

    Raises ``TypeError`` when a claim is not JSON-serialisable.
    """
    header = {"alg": "RS256", "typ": "JWT", "kid": key.kid, **(headers or {})}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + b"."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + _b64url(signature)).decode("ascii")
