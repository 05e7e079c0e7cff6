"""A platform as Relais knows it, and the Protocols through which ``lti`` reads stored state.

``lti`` never touches a database: the service implements these Protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PlatformRegistration:
    """One registration: an issuer and one of its client ids (an issuer may have several)."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    deployment_ids: frozenset[str]
    allow_anonymous: bool = False


class RegistrationStore(Protocol):
    def find(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        """The registration for ``issuer`` and ``client_id``.

        With ``client_id`` None, the issuer's only registration, or None when it has none or
        several (the caller must then be told which client is meant).
        """

    def find_all(self, issuer: str) -> Sequence[PlatformRegistration]:
        """Every registration of ``issuer`` (empty when the issuer is unknown).

        ``lti`` uses it only to tell apart, in its error codes, an unknown platform from a
        known one addressed with an unknown or missing client id.
        """


class NonceOutcome(Enum):
    CONSUMED = "consumed"  # issued by us, unused: now used
    REPLAYED = "replayed"  # issued by us, already used
    UNKNOWN = "unknown"  # never issued by us (or expired and purged)


class NonceStore(Protocol):
    def issue(self, nonce: str, issuer: str, expires_at: float) -> None:
        """Remember a nonce we sent in an authentication request."""

    def consume(self, nonce: str, issuer: str, now: float) -> NonceOutcome:
        """Mark the nonce used, atomically: of two concurrent calls (even from two service
        instances sharing a database) exactly one gets CONSUMED."""


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
