"""SQL implementations of the Protocols through which ``lti`` reads stored state."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from lti.errors import LtiError
from lti.jws import split_compact
from lti.registration import NonceOutcome, PlatformRegistration
from service import db
from service.launch import login_tokens
from service.launch.models import LtiNonce
from service.platforms.models import Platform

# Registrations change rarely; a short cache keeps the launch path free of a query per launch
# while a removal still takes effect within this many seconds.
_REGISTRATION_TTL = 30.0


def storable(text: str) -> bool:
    """Whether ``text`` could have been stored. PostgreSQL text cannot hold NUL, and its
    driver raises on one: a value with NUL was never stored, so it must match nothing without
    reaching the database (else a request full of garbage ends in a 500)."""
    return "\x00" not in text


@dataclass(frozen=True, slots=True)
class RegisteredPlatform:
    """A registration together with what the service needs beside it."""

    platform_id: int
    name: str
    adapter: str
    registration: PlatformRegistration


def _load(issuer: str) -> list[RegisteredPlatform]:
    platforms = db.session().scalars(select(Platform).where(Platform.issuer == issuer)).all()
    return [
        RegisteredPlatform(
            p.id,
            p.name,
            p.adapter,
            PlatformRegistration(
                issuer=p.issuer,
                client_id=p.client_id,
                auth_login_url=p.auth_login_url,
                auth_token_url=p.auth_token_url,
                jwks_url=p.jwks_url,
                deployment_ids=frozenset(d.deployment_id for d in p.deployments),
                allow_anonymous=p.allow_anonymous,
            ),
        )
        for p in platforms
    ]


class SqlRegistrationStore:
    def platforms(self, issuer: str) -> list[RegisteredPlatform]:
        if not storable(issuer):  # the unverified iss of a token: anything may come
            return []
        cache = current_app.extensions.setdefault("relais_registrations", {})
        hit = cache.get(issuer)
        if hit is None or time.monotonic() - hit[0] > _REGISTRATION_TTL:
            hit = (time.monotonic(), _load(issuer))
            cache[issuer] = hit
        return hit[1]  # type: ignore[no-any-return]

    def platform(self, issuer: str, client_id: str | None) -> RegisteredPlatform | None:
        found = self.platforms(issuer)
        if client_id is None:
            return found[0] if len(found) == 1 else None
        return next((p for p in found if p.registration.client_id == client_id), None)

    def find(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        found = self.platform(issuer, client_id)
        return found.registration if found else None

    def find_all(self, issuer: str) -> list[PlatformRegistration]:
        # Part of lti's RegistrationStore Protocol: without it, a token for a known issuer
        # but another client (or an unknown issuer) ended in an AttributeError and a 500.
        return [p.registration for p in self.platforms(issuer)]


def forget_registrations() -> None:
    current_app.extensions.pop("relais_registrations", None)


# Built once: building a statement cost more than running it.
_USE_NONCE = insert(LtiNonce.__table__)
_PURGE_NONCES = delete(LtiNonce.__table__).where(
    LtiNonce.__table__.c.expires_at < bindparam("now"))


class SqlNonceStore:
    """Nonces are minted signed (``login_tokens``); using one is a single INSERT of its hash.

    The INSERT runs at SQLAlchemy Core level in its own short transaction, committed at once:
    the ORM unit of work cost about a third of the launch request for this one row.
    """

    # One launch in this many also deletes the nonces that can no longer be valid.
    PURGE_EVERY = 256

    def __init__(self) -> None:
        self._count = 0

    def issue(self, nonce: str, issuer: str, expires_at: float) -> None:
        # Nothing to store: the nonce is signed and timestamped by login_tokens.new_nonce.
        return None

    def consume(self, nonce: str, issuer: str, now: float) -> NonceOutcome:
        if not storable(nonce) or not login_tokens.nonce_issued_for(nonce, issuer):
            return NonceOutcome.UNKNOWN
        row = {
            "nonce_hash": hashlib.sha256(nonce.encode()).hexdigest(),
            "expires_at": now + float(current_app.config["LOGIN_TTL_SECONDS"]) + 60,
        }
        try:
            # A connection of its own, committed at once: the request's (db.connection) is
            # for reads.
            with db.engine().begin() as connection:
                connection.execute(_USE_NONCE, row)
                self._count += 1
                if self._count % self.PURGE_EVERY == 0:
                    connection.execute(_PURGE_NONCES, {"now": now})
        except IntegrityError:
            return NonceOutcome.REPLAYED
        return NonceOutcome.CONSUMED

    def was_used(self, id_token: object) -> bool:
        """Whether the (unverified) nonce of ``id_token`` was already accepted: a launch posted
        again after it succeeded is a mismatch, never a case for the cookie-less ways round.
        Only read on that rare path; anything unreadable counts as not used."""
        try:
            _, payload, _, _ = split_compact(id_token)
        except LtiError:
            return False
        nonce = payload.get("nonce")
        if not isinstance(nonce, str) or not storable(nonce):
            return False
        digest = hashlib.sha256(nonce.encode()).hexdigest()
        return db.session().get(LtiNonce, digest) is not None
