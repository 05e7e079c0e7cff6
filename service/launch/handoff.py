"""One-time codes that carry a proven launch from a cookie-less iframe to a new window.

The code travels in a POST body (never a URL), is stored hashed, lives two minutes and
works once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from sqlalchemy import delete

from service import db
from service.launch.models import LtiHandoff

TTL_SECONDS = 120.0


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def issue(payload: dict[str, Any]) -> str:
    code = secrets.token_urlsafe(32)
    with db.transaction() as tx:
        tx.add(
            LtiHandoff(
                code_hash=_hash(code),
                payload=json.dumps(payload),
                expires_at=time.time() + TTL_SECONDS,
            )
        )
    return code


def redeem(code: str) -> dict[str, Any] | None:
    """The payload, once: the row is deleted by the same statement that reads it."""
    if not code or len(code) > 100:
        return None
    with db.transaction() as tx:
        row = tx.execute(
            delete(LtiHandoff)
            .where(LtiHandoff.code_hash == _hash(code), LtiHandoff.expires_at > time.time())
            .returning(LtiHandoff.payload)
        ).first()
    return json.loads(row[0]) if row else None
