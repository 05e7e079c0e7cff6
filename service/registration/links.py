"""One-time registration links: created by the operator, claimed while a registration is in
flight, consumed only when the platform is stored.

A link is a random token in a URL (``/lti/register/<token>``); the database keeps its SHA-256
only. Every refusal is a coded error page, and none of them tells a forged link from a
deleted one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from flask import current_app
from sqlalchemy import or_, select, update

from service import db
from service.errors import ServiceError
from service.platforms.models import Platform
from service.platforms.registry import PlatformInput, register
from service.registration.models import RegistrationLink

# Long enough for two platform round trips with their timeouts; a crashed registration frees
# the link after this.
CLAIM_SECONDS = 120.0
MAX_LIFETIME = 30 * 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
_DURATION = re.compile(r"(\d{1,5})\s*([smhdj]?)")
_UNITS = {"": 3600, "s": 1, "m": 60, "h": 3600, "d": 86400, "j": 86400}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_duration(text: str) -> int:
    """``"24h"``, ``"30m"``, ``"7d"`` (or ``"7j"``), ``"90s"``; a bare number is hours.

    Raises ``ValueError`` for anything else, for zero, and beyond 30 days.
    """
    found = _DURATION.fullmatch(text.strip().lower())
    if not found:
        raise ValueError("use a number and a unit: 90s, 30m, 24h, 7d")
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    if not 0 < seconds <= MAX_LIFETIME:
        raise ValueError("between 1 second and 30 days")
    return seconds


def link_url(token: str) -> str:
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}/lti/register/{token}"


def create_link(lifetime_seconds: float, now: float | None = None) -> tuple[str, float]:
    """A new link's token (shown once, never stored) and its expiry (epoch seconds)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime_seconds
    with db.transaction() as tx:
        tx.add(RegistrationLink(token_hash=_hash(token), created_at=now, expires_at=expires_at))
    return token, expires_at


def claim(token: str, now: float | None = None) -> int:
    """Hold the link for one registration and return its id.

    Raises ``ServiceError`` ``registration_link_unknown`` (404: never issued, or forged),
    ``registration_link_used`` (410), ``registration_link_expired`` (410) or
    ``registration_link_busy`` (409: another registration with it is in flight).
    """
    now = time.time() if now is None else now
    if not _TOKEN.fullmatch(token or ""):
        raise ServiceError("registration_link_unknown", 404)
    token_hash = _hash(token)
    with db.transaction() as tx:
        held = tx.execute(
            update(RegistrationLink)
            .where(
                RegistrationLink.token_hash == token_hash,
                RegistrationLink.used_at.is_(None),
                RegistrationLink.expires_at > now,
                or_(RegistrationLink.claimed_until.is_(None),
                    RegistrationLink.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM_SECONDS)
        )
        link = tx.scalar(select(RegistrationLink).where(RegistrationLink.token_hash == token_hash))
    if held.rowcount == 1 and link is not None:  # type: ignore[attr-defined]
        return link.id
    if link is None:
        raise ServiceError("registration_link_unknown", 404)
    if link.used_at is not None:
        raise ServiceError("registration_link_used", 410)
    if link.expires_at <= now:
        raise ServiceError("registration_link_expired", 410)
    raise ServiceError("registration_link_busy", 409)


def release(link_id: int) -> None:
    """Give the link back after a failed registration: it can be used again."""
    session = db.session()
    session.rollback()  # nothing pending of the failed attempt may be committed with this
    with db.transaction() as tx:
        tx.execute(
            update(RegistrationLink)
            .where(RegistrationLink.id == link_id, RegistrationLink.used_at.is_(None))
            .values(claimed_until=None)
        )


def complete(link_id: int, data: PlatformInput, now: float | None = None) -> Platform:
    """Store the platform and consume the link, in one commit.

    ``register`` commits the request's session: the link's ``used_at``, set on that same
    session first, is written with the platform or rolled back with it. Raises ``ValueError``
    (from ``register``) with nothing written.
    """
    now = time.time() if now is None else now
    session = db.session()
    link = session.get(RegistrationLink, link_id)
    if link is None or link.used_at is not None:
        raise ServiceError("registration_link_used", 410)
    link.used_at = now
    link.claimed_until = None
    platform = register(data)
    with db.transaction():
        link.platform_id = platform.id
    return platform


def free_name(wanted: str, issuer: str, client_id: str) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``... when another registration has that name."""
    session = db.session()
    name = wanted[:190]
    for n in range(2, 100):
        owner = session.execute(
            select(Platform.issuer, Platform.client_id).where(Platform.name == name)
        ).first()
        if owner is None or tuple(owner) == (issuer, client_id):
            return name
        name = f"{wanted[:190]} ({n})"
    return f"{wanted[:180]} {secrets.token_hex(4)}"
