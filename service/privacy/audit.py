"""Writing and reading the audit log: who did what, when, on which platform.

Every page that shows personal data, and every change an admin makes, calls ``record`` in the
same transaction as what it audits (a view is audited with its own small transaction). Only an
admin is named (their LTI id and display name: they act for the platform); a parent or the
system is only a kind. A person concerned is named by ``person_ref``, a keyed pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.identity import Identity
from service.privacy.models import AuditEntry, utcnow

ERASED = "person:erased"

# What the audit log page says for each action.
ACTIONS: dict[str, object] = {
    "platform_registered": _l("Plateforme inscrite (inscription dynamique)"),
    "settings_changed": _l("Réglages modifiés"),
    "school_added": _l("Établissement ajouté"),
    "school_changed": _l("Établissement modifié"),
    "audience_changed": _l("Reconnaissance des publics modifiée"),
    "api_token_created": _l("Jeton d'API créé"),
    "api_token_revoked": _l("Jeton d'API révoqué"),
    "personal_data_viewed": _l("Données personnelles consultées"),
    "personal_data_exported": _l("Données personnelles exportées"),
    "personal_data_erased": _l("Données personnelles effacées"),
    "retention_purge": _l("Effacement automatique (durée de conservation)"),
}
ACTOR_KINDS: dict[str, object] = {
    "admin": _l("Administrateur"),
    "parent": _l("Un parent"),
    "system": _l("Relais"),
    "operator": _l("Exploitant"),
    "api": _l("API"),
}


def person_ref(platform_id: int, user_id: str) -> str:
    """A stable pseudonym for one person of one platform: an HMAC of their LTI id with the
    app's secret, so the log can be searched for a person without holding their id."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{platform_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"person:{digest[:32]}"


def record(db: Session, platform_id: int | None, action: str, *, who: Identity | None = None,
           actor_kind: str | None = None, target: str = "", detail: str = "",
           at: datetime | None = None) -> AuditEntry:
    """Add one entry to the caller's transaction. ``who`` is the signed-in person (an admin is
    named, anyone else only counted as their kind); without it, ``actor_kind`` says who acted
    (``system``, ``operator``, ``api``)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    kind = actor_kind or (who.audience if who else "system")
    named = who is not None and who.audience == "admin"
    entry = AuditEntry(
        platform_id=platform_id,
        at=at or utcnow(),
        actor_kind=kind,
        actor_id=who.user_id if named and who else None,
        actor_name=(who.display_name[:200] if named and who else ""),
        action=action,
        target=target[:100],
        detail=detail[:300],
    )
    db.add(entry)
    return entry


def entries(db: Session, platform_id: int, *, limit: int = 200, before_id: int | None = None,
            action: str | None = None) -> Sequence[AuditEntry]:
    """The platform's entries, newest first (``before_id`` pages back)."""
    query = select(AuditEntry).where(AuditEntry.platform_id == platform_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)).all()


def forget_person(db: Session, platform_id: int, user_id: str) -> int:
    """Rewrite the entries naming this person (as target, or as the acting admin) so that
    nothing links them to the person any more; returns how many changed."""
    ref = person_ref(platform_id, user_id)
    targets = db.execute(
        update(AuditEntry)
        .where(AuditEntry.platform_id == platform_id, AuditEntry.target == ref)
        .values(target=ERASED)
    )
    actors = db.execute(
        update(AuditEntry)
        .where(AuditEntry.platform_id == platform_id, AuditEntry.actor_id == user_id)
        .values(actor_id=None, actor_name="")
    )
    return int(targets.rowcount or 0) + int(actors.rowcount or 0)  # type: ignore[attr-defined]
