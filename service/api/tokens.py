"""Creating, revoking and checking API tokens.

A token is ``rls_`` and 43 random characters (256 bits). Only its SHA-256 is stored: a
database leak gives no usable token, and a lookup by hash is constant work whatever is sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.api.models import ApiToken
from service.identity import Identity
from service.privacy import audit
from service.privacy.models import as_utc, utcnow

PREFIX = "rls_"
_SHAPE = re.compile(r"^rls_[A-Za-z0-9_-]{43}$")
# last_used_at is written at most this often per token: reads stay reads.
_TOUCH_EVERY = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(db: Session, platform_id: int, name: str,
                 who: Identity | None) -> tuple[ApiToken, str]:
    """A new token of the platform, in the caller's transaction, audited. Returns the row and
    the secret: the only time it exists outside the caller's hands."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(platform_id=platform_id, name=name[:100], token_hash=_hash(secret),
                     prefix=secret[:10], created_at=utcnow(),
                     created_by=(who.display_name[:200] if who else ""))
    db.add(token)
    db.flush()
    audit.record(db, platform_id, "api_token_created", who=who,
                 actor_kind=None if who else "operator", target=f"api_token:{token.id}",
                 detail=token.name)
    return token, secret


def tokens_of(db: Session, platform_id: int) -> Sequence[ApiToken]:
    return db.scalars(select(ApiToken).where(ApiToken.platform_id == platform_id)
                      .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()


def revoke(db: Session, platform_id: int, token_id: int, who: Identity | None) -> bool:
    """Revoke the platform's token; False when it has none with this id (or it already was)."""
    token = db.scalar(select(ApiToken).where(ApiToken.platform_id == platform_id,
                                             ApiToken.id == token_id))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record(db, platform_id, "api_token_revoked", who=who,
                 actor_kind=None if who else "operator", target=f"api_token:{token.id}",
                 detail=token.name)
    return True


def authenticate(db: Session, header: str | None,
                 now: datetime | None = None) -> ApiToken | None:
    """The live token an ``Authorization: Bearer ...`` header carries, or None."""
    if not header:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not _SHAPE.match(secret):
        return None
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret),
                                             ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - as_utc(token.last_used_at) > _TOUCH_EVERY:
        db.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.commit()
    return token
