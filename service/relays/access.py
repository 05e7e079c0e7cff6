"""Relays sign in with a personal link — no password to forget, nothing to install.

``issue_link`` makes a relay's personal link (and ends the previous one): the token is shown
once and only its SHA-256 is kept. Notification emails carry their own short-lived links,
made only while the relay's personal link is valid and never outliving it. ``revoke`` ends
every link of a relay at once, and a relay already signed in is signed out on their next
page (``signed_in_relay`` checks the link behind the session every time).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.directory.models import Relay
from service.relays.models import RelayAccess, as_utc, utcnow

TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) makes
_DURATION = re.compile(r"^(\d{1,4})([hdw])$")
MAX_DAYS = 366


class AccessError(ValueError):
    """A link that cannot be made; ``str(error)`` says why (for the command line)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w`` → a timedelta of at most a year. Raises ``AccessError``."""
    found = _DURATION.match(text.strip().lower())
    if not found:
        raise AccessError("give a duration such as 90d, 12h or 2w")
    amount, unit = int(found.group(1)), found.group(2)
    duration = {"h": timedelta(hours=amount), "d": timedelta(days=amount),
                "w": timedelta(weeks=amount)}[unit]
    if not timedelta(hours=1) <= duration <= timedelta(days=MAX_DAYS):
        raise AccessError(f"a link lasts between 1 hour and {MAX_DAYS} days")
    return duration


def link_url(token: str) -> str:
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}/r/{token}"


def relay_of(db: Session, platform_id: int, relay_id: int) -> Relay | None:
    """The platform's relay with this id, or None (another tenant's relay is no relay)."""
    relay = db.get(Relay, relay_id)
    return relay if relay is not None and relay.platform_id == platform_id else None


def _new(db: Session, relay: Relay, kind: str, expires_at: datetime,
         now: datetime) -> tuple[str, RelayAccess]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = RelayAccess(platform_id=relay.platform_id, relay_id=relay.id, kind=kind,
                      token_hash=token_hash(token), created_at=now, expires_at=expires_at)
    db.add(row)
    db.flush()
    return token, row


def issue_link(db: Session, platform_id: int, relay_id: int, *, lasts: timedelta,
               now: datetime | None = None) -> tuple[str, RelayAccess]:
    """A new personal link for the relay, in the caller's transaction; the previous personal
    link stops working. Returns (token, row): show the token once, never store it."""
    now = now or utcnow()
    relay = relay_of(db, platform_id, relay_id)
    if relay is None:
        raise AccessError(f"no relay {relay_id} on this platform")
    db.execute(
        update(RelayAccess)
        .where(RelayAccess.relay_id == relay.id, RelayAccess.kind == "personal",
               RelayAccess.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _new(db, relay, "personal", now + lasts, now)


def revoke(db: Session, platform_id: int, relay_id: int, *,
           now: datetime | None = None) -> int:
    """End every link of the relay (personal and from emails); returns how many were valid."""
    now = now or utcnow()
    result = db.execute(
        update(RelayAccess)
        .where(RelayAccess.platform_id == platform_id, RelayAccess.relay_id == relay_id,
               RelayAccess.revoked_at.is_(None), RelayAccess.expires_at > now)
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def personal_link(db: Session, platform_id: int, relay_id: int,
                  now: datetime | None = None) -> RelayAccess | None:
    """The relay's personal link if one is valid now."""
    now = now or utcnow()
    rows = db.scalars(
        select(RelayAccess).where(
            RelayAccess.platform_id == platform_id, RelayAccess.relay_id == relay_id,
            RelayAccess.kind == "personal", RelayAccess.revoked_at.is_(None),
        ).order_by(RelayAccess.id.desc())
    )
    return next((row for row in rows if row.valid_at(now)), None)


def notification_link(db: Session, relay: Relay, *, lasts: timedelta,
                      now: datetime | None = None) -> str | None:
    """A sign-in link for one notification email, or None when the relay has no valid
    personal link (the admin has not given one, or took it back)."""
    now = now or utcnow()
    personal = personal_link(db, relay.platform_id, relay.id, now)
    if personal is None:
        return None
    # The relay's email links that no longer open anything go, so they do not pile up.
    db.execute(
        delete(RelayAccess)
        .where(RelayAccess.platform_id == relay.platform_id, RelayAccess.relay_id == relay.id,
               RelayAccess.kind == "notification", RelayAccess.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    expires = min(as_utc(personal.expires_at), now + lasts)
    token, _row = _new(db, relay, "notification", expires, now)
    return token


def open_link(db: Session, token: str, *, now: datetime | None = None) -> RelayAccess | None:
    """The valid access this token opens, or None — the same None for a malformed, unknown,
    expired or revoked token. Marks it used."""
    if not _TOKEN.match(token):
        return None
    now = now or utcnow()
    row = db.scalar(select(RelayAccess).where(RelayAccess.token_hash == token_hash(token)))
    if row is None or not row.valid_at(now):
        return None
    row.last_used_at = now
    return row


def signed_in_relay(db: Session, platform_id: int, relay_id: int, access_id: int,
                    now: datetime | None = None) -> Relay | None:
    """The relay a session belongs to, while the link it was opened with is still valid and
    everything (platform, relay, link) agrees; None otherwise."""
    now = now or utcnow()
    access = db.get(RelayAccess, access_id)
    if (access is None or access.relay_id != relay_id or access.platform_id != platform_id
            or not access.valid_at(now)):
        return None
    return relay_of(db, platform_id, relay_id)
