"""Reading and changing a class's settings, recording parents' visits, keeping deep-linking
requests. Every function takes the platform and the class: none can reach another class.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from service import db
from service.schools.models import School
from service.teachers.models import ClassSettings, ClassVisit, DeepLinkRequest
from service.teachers.schemas import load_settings
from service.topics import TOPICS

__all__ = [
    "ClassView",
    "class_school",
    "class_view",
    "note_teacher_launch",
    "platform_schools",
    "record_visit",
    "save_settings",
    "settings_of",
    "store_deep_link",
    "take_deep_link",
    "visits_of",
]


@dataclass(frozen=True, slots=True)
class ClassView:
    """What parents of the class are shown (the defaults when the teacher chose nothing)."""

    enabled: bool = True
    topics: tuple[str, ...] = tuple(TOPICS)
    hidden_stages: frozenset[str] = frozenset()
    contact: str = ""


# The two reads of every parent's launch, built once: building a statement cost more than
# running it, and going through the ORM's identity map more than both.
_SETTINGS = ClassSettings.__table__.c
_CLASS_VIEW = select(_SETTINGS.enabled, _SETTINGS.topics, _SETTINGS.hidden_stages,
                     _SETTINGS.contact).where(_SETTINGS.platform_id == bindparam("platform_id"),
                                              _SETTINGS.class_id == bindparam("class_id"))
_VISITS = ClassVisit.__table__.c
_VISIT = select(_VISITS.id, _VISITS.children_ids).where(
    _VISITS.platform_id == bindparam("platform_id"), _VISITS.class_id == bindparam("class_id"),
    _VISITS.user_id == bindparam("user_id"))


def settings_of(platform_id: int, class_id: str) -> ClassSettings | None:
    return db.session().scalar(
        select(ClassSettings).where(
            ClassSettings.platform_id == platform_id, ClassSettings.class_id == class_id
        )
    )


def class_view(platform_id: int, class_id: str | None) -> ClassView:
    """What the parents' pages of this class show: for the parents' and the wizard's pages."""
    row = db.connection().execute(
        _CLASS_VIEW, {"platform_id": platform_id, "class_id": class_id}
    ).first() if class_id else None
    if row is None:
        return ClassView()
    topics = tuple(t for t in TOPICS if row.topics is None or t in row.topics)
    return ClassView(row.enabled, topics, frozenset(row.hidden_stages or ()), row.contact)


def _upsert(platform_id: int, class_id: str, **values: Any) -> ClassSettings:
    """Create or change the class's row; another request creating it at the same time is
    not an error (the unique constraint decides, and the change is applied to its row)."""
    for attempt in range(2):
        try:
            with db.transaction() as tx:
                row = tx.scalar(
                    select(ClassSettings).where(
                        ClassSettings.platform_id == platform_id,
                        ClassSettings.class_id == class_id,
                    )
                )
                if row is None:
                    row = ClassSettings(platform_id=platform_id, class_id=class_id)
                    tx.add(row)
                for key, value in values.items():
                    setattr(row, key, value)
            return row
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def note_teacher_launch(platform_id: int, class_id: str, title: str,
                        memberships_url: str | None) -> None:
    """Keep the class's title and NRPS endpoint, written only when they changed."""
    row = settings_of(platform_id, class_id)
    title = title[:255]
    url = memberships_url if memberships_url and len(memberships_url) <= 1000 else None
    if row is not None and row.title == title and (url is None or row.memberships_url == url):
        return
    values: dict[str, Any] = {"title": title}
    if url is not None:
        values["memberships_url"] = url
    _upsert(platform_id, class_id, **values)


def platform_schools(platform_id: int) -> list[School]:
    return list(db.session().scalars(
        select(School).where(School.platform_id == platform_id).order_by(School.name)
    ))


def class_school(platform_id: int, settings: ClassSettings | None) -> School | None:
    """The class's school: the platform's only one, else the one the teacher picked."""
    schools = platform_schools(platform_id)
    if len(schools) == 1:
        return schools[0]
    if settings is not None and settings.school_id is not None:
        return next((s for s in schools if s.id == settings.school_id), None)
    return None


def save_settings(platform_id: int, class_id: str, data: Mapping[str, Any], *,
                  user_id: str, stage_ids: Sequence[str]) -> ClassSettings:
    """Validate ``data`` (the settings form) and store it for the class.

    Raises ``marshmallow.ValidationError`` (messages per field); nothing is written then.
    """
    schools = {s.id for s in platform_schools(platform_id)}
    if len(schools) <= 1:  # nothing to choose (the only school is always the class's)
        data = {**data, "school_id": None}
    clean = load_settings(data, school_ids=schools, stage_ids=stage_ids)
    return _upsert(platform_id, class_id, updated_by=user_id[:255], **clean)


def record_visit(platform_id: int, class_id: str, user_id: str,
                 children_ids: Sequence[str]) -> None:
    """Remember that this parent opened Relais from this class (once; children refreshed)."""
    children = sorted({c for c in children_ids if c and len(c) <= 255})[:20]
    found = db.connection().execute(
        _VISIT, {"platform_id": platform_id, "class_id": class_id, "user_id": user_id}
    ).first()
    if found is not None and (not children or found.children_ids == children):
        return
    try:
        with db.transaction() as tx:
            if found is None:
                tx.add(ClassVisit(platform_id=platform_id, class_id=class_id,
                                  user_id=user_id, children_ids=children))
            else:
                row = tx.get(ClassVisit, found.id)
                if row is not None:
                    row.children_ids = children
    except IntegrityError:
        pass  # the same parent's other launch recorded it a moment ago


def visits_of(platform_id: int, class_id: str) -> list[ClassVisit]:
    return list(db.session().scalars(
        select(ClassVisit).where(
            ClassVisit.platform_id == platform_id, ClassVisit.class_id == class_id
        )
    ))


def store_deep_link(platform_id: int, *, user_id: str, class_id: str | None,
                    deployment_id: str, version: str, return_url: str,
                    accept_types: Sequence[str], accept_multiple: bool,
                    data: str | None) -> str:
    """Keep a deep-linking request until the teacher answers; returns its id (for the
    session). Expired requests are purged on the way."""
    now = time.time()
    request_id = secrets.token_urlsafe(32)
    with db.transaction() as tx:
        tx.execute(delete(DeepLinkRequest).where(DeepLinkRequest.expires_at < now))
        tx.add(DeepLinkRequest(
            id=request_id, platform_id=platform_id, user_id=user_id[:255], class_id=class_id,
            deployment_id=deployment_id, version=version, return_url=return_url,
            accept_types=list(accept_types), accept_multiple=accept_multiple, data=data,
            expires_at=now + DeepLinkRequest.LIFETIME,
        ))
    return request_id


def take_deep_link(request_id: str, platform_id: int, user_id: str,
                   *, consume: bool = False) -> DeepLinkRequest | None:
    """The pending request of this person, or None (unknown, another person's, expired).
    ``consume`` deletes it: an answer is sent once."""
    if not request_id or len(request_id) > 64:
        return None
    row = db.session().get(DeepLinkRequest, request_id)
    if (row is None or row.platform_id != platform_id or row.user_id != user_id[:255]
            or row.expires_at < time.time()):
        return None
    if consume:
        with db.transaction() as tx:
            done = tx.execute(delete(DeepLinkRequest).where(DeepLinkRequest.id == request_id))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None  # a double click: the other request sent it
    return row
