"""The platforms' public keys, fetched from their JWKS URLs and cached.

The cache honours the platform's ``Cache-Control: max-age`` (clamped), refetches once when a
token names a key it has not seen (platforms rotate keys), limits how often it refetches so a
flood of forged ``kid`` values cannot turn the tool into a hammer on the platform, and keeps
serving the keys it has while the platform's endpoint is down.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from lti.errors import JwtKidUnknown, LtiError, PlatformKeysUnavailable
from lti.http import HttpClient
from lti.registration import Clock

__all__ = ["PlatformKeyCache", "parse_jwks"]

MIN_RSA_BITS = 2048  # RS256 with a shorter modulus is forgeable in practice
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(?:no-cache|no-store)(?:$|[,\s])", re.IGNORECASE)


def _b64url_int(value: object) -> int:
    if not isinstance(value, str) or not value:
        raise ValueError("not a base64url string")
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return int.from_bytes(raw, "big")


def _parse_jwk(jwk: Mapping[str, Any]) -> tuple[str, tuple[int, int]] | None:
    """``(kid, (n, e))`` of a usable RSA signing JWK, None for anything else."""
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid or jwk.get("kty") != "RSA":
        return None
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
        return None
    try:
        n, e = _b64url_int(jwk.get("n")), _b64url_int(jwk.get("e"))
    except (ValueError, binascii.Error):
        return None
    if n.bit_length() < MIN_RSA_BITS or e < 3 or e % 2 == 0:
        return None
    return kid, (n, e)


def parse_jwks(document: object) -> dict[str, tuple[int, int]]:
    """``{kid: (n, e)}`` of the usable RSA keys of a JWKS document.

    Non-RSA, encryption, malformed and too-short keys are skipped, never raised on. Raises
    ``ValueError`` when the document is not a JWKS at all.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    found: dict[str, tuple[int, int]] = {}
    for jwk in document["keys"]:
        parsed = _parse_jwk(jwk) if isinstance(jwk, Mapping) else None
        if parsed is not None:
            found.setdefault(*parsed)
    return found


@dataclass(slots=True)
class _Entry:
    keys: dict[str, tuple[tuple[int, int], rsa.RSAPublicKey]] = field(default_factory=dict)
    expires_at: float = 0.0  # fresh until then
    last_attempt: float = float("-inf")  # last fetch, successful or not
    # Kids looked for and still absent after a fetch: they wait for the full interval.
    missing: set[str] = field(default_factory=set)


class PlatformKeyCache:
    """Public keys by ``(jwks_url, kid)``; thread-safe; one instance per process.

    A fresh, known key is served without locking. Otherwise one lock per ``jwks_url`` makes
    concurrent launches wait for a single fetch (bounded by ``timeout``) instead of each
    fetching. ``fetch_count`` counts HTTP fetches (for tests and metrics).
    """

    def __init__(
        self,
        http: HttpClient,
        clock: Clock,
        *,
        min_refetch_interval: float = 10.0,
        new_kid_interval: float = 1.0,
        default_max_age: float = 300,
        max_max_age: float = 86400,
        min_max_age: float = 60,
        timeout: float = 5.0,
    ) -> None:
        self.http = http
        self.clock = clock
        self.min_refetch_interval = min_refetch_interval
        self.new_kid_interval = new_kid_interval
        self.default_max_age = default_max_age
        self.max_max_age = max_max_age
        self.min_max_age = min_max_age
        self.timeout = timeout
        self.fetch_count = 0
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def public_key(self, jwks_url: str, kid: str) -> rsa.RSAPublicKey:
        """The platform's key ``kid``, from cache or from ``jwks_url``.

        Raises ``JwtKidUnknown`` when the key set has no such key even after the allowed
        refetch, and ``PlatformKeysUnavailable`` when the key set cannot be fetched and the
        cache has nothing to serve for ``kid``.
        """
        entry = self._entries.get(jwks_url)
        if entry is not None and kid in entry.keys and self.clock.now() < entry.expires_at:
            return entry.keys[kid][1]  # the hot path: no lock
        with self._lock_for(jwks_url):
            # Another thread may have fetched while this one waited for the lock.
            entry = self._entries.setdefault(jwks_url, _Entry())
            now = self.clock.now()
            fresh = now < entry.expires_at
            if fresh and kid in entry.keys:
                return entry.keys[kid][1]
            failed = False
            # A kid never looked for may be a fresh rotation: refetch after a short pause
            # (one second), so a platform rotating just after our last fetch loses no launch.
            # A kid already missing after a fetch (forged, or a typo) waits the full interval:
            # a flood of forged kids costs the platform at most one fetch a second.
            since = now - entry.last_attempt
            interval = self.min_refetch_interval if kid in entry.missing else self.new_kid_interval
            if since >= interval:
                failed = not self._fetch(jwks_url, entry, now)
                if not failed and kid not in entry.keys:
                    entry.missing.add(kid)
            if kid in entry.keys:
                return entry.keys[kid][1]  # possibly stale: better than refusing every launch
            if failed or not entry.keys:
                raise PlatformKeysUnavailable(f"cannot fetch the key set at {jwks_url}")
            raise JwtKidUnknown(f"no key {kid!r} in the key set at {jwks_url}")

    def _lock_for(self, jwks_url: str) -> threading.Lock:
        lock = self._locks.get(jwks_url)
        if lock is None:
            with self._locks_lock:
                lock = self._locks.setdefault(jwks_url, threading.Lock())
        return lock

    def _fetch(self, jwks_url: str, entry: _Entry, now: float) -> bool:
        """Refresh ``entry`` from the platform; False (entry untouched but for the attempt
        time) when the platform is unreachable or answers garbage."""
        entry.last_attempt = now
        self.fetch_count += 1
        try:
            response = self.http.get(jwks_url, timeout=self.timeout)
            if not 200 <= response.status < 300:
                return False
            found = parse_jwks(response.json())
        except (LtiError, ValueError, RecursionError):
            return False
        keys: dict[str, tuple[tuple[int, int], rsa.RSAPublicKey]] = {}
        for kid, numbers in found.items():
            old = entry.keys.get(kid)
            if old is not None and old[0] == numbers:
                keys[kid] = old  # already parsed: keep the object
            else:
                try:
                    key = rsa.RSAPublicNumbers(numbers[1], numbers[0]).public_key()
                except ValueError:
                    continue
                keys[kid] = (numbers, key)
        entry.keys = keys
        entry.missing.clear()
        entry.expires_at = now + self._max_age(response.headers)
        return True

    def _max_age(self, headers: Mapping[str, str]) -> float:
        cache_control = headers.get("Cache-Control", "")
        if _NO_CACHE.search(cache_control):
            return self.min_max_age
        match = _MAX_AGE.search(cache_control)
        max_age = float(match.group(1)) if match else self.default_max_age
        return min(max(max_age, self.min_max_age), self.max_max_age)
