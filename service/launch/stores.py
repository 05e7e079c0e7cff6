"""SQL implementations of the Protocols through which ``lti`` reads stored state."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from lti.registration import NonceOutcome, PlatformRegistration
from service import db
from service.launch.models import LtiLogin
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


class SqlNonceStore:
    """Nonces live in the ``lti_login`` row written at login time."""

    def issue(self, nonce: str, issuer: str, expires_at: float) -> None:
        # Written with the whole login row by the login view; nothing more to do here.
        return None

    def consume(self, nonce: str, issuer: str, now: float) -> NonceOutcome:
        if not storable(nonce):
            return NonceOutcome.UNKNOWN
        with db.transaction() as tx:
            used = tx.execute(
                update(LtiLogin)
                .where(
                    LtiLogin.nonce == nonce,
                    LtiLogin.issuer == issuer,
                    LtiLogin.used_at.is_(None),
                    LtiLogin.expires_at > now,
                )
                .values(used_at=now)
            )
            if used.rowcount == 1:  # type: ignore[attr-defined]
                return NonceOutcome.CONSUMED
            used_at = tx.scalar(select(LtiLogin.used_at).where(LtiLogin.nonce == nonce))
        # An expired, never used nonce counts as unknown: it was never accepted.
        return NonceOutcome.REPLAYED if used_at is not None else NonceOutcome.UNKNOWN
