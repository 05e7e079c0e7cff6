"""Events: who may see which, creating and changing them, and counting "J'y serai".

Who sees an event, on one platform (never across platforms):
- a platform-wide event (no school, no class): everyone of the platform, and every public page
  of its schools;
- a school event: that school's public page, and the families of that school in the ENT;
- a class event: that class only (never a public page, never another class).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.exc import IntegrityError

from service import db
from service.events.models import Event, EventAttendance
from service.events.schemas import load_event
from service.schools.models import School

__all__ = [
    "count_going",
    "create_event",
    "delete_event",
    "ent_school_id",
    "event_of",
    "events_of",
    "update_event",
    "upcoming",
    "visible_event",
]


def _visible_to(platform_id: int, school_id: int | None,
                class_id: str | None) -> ColumnElement[bool]:
    """The rows someone of this platform, school and class may see."""
    platform_wide = and_(Event.school_id.is_(None), Event.class_id.is_(None))
    school = (and_(Event.school_id == school_id, Event.class_id.is_(None))
              if school_id is not None else false())
    klass = Event.class_id == class_id if class_id else false()
    return and_(Event.platform_id == platform_id, or_(platform_wide, school, klass))


def upcoming(platform_id: int, *, school_id: int | None = None, class_id: str | None = None,
             limit: int = 10, now: datetime | None = None) -> list[Event]:
    """The next events (not yet over) that this platform, school and class may see,
    soonest first: platform-wide ones, the school's, and the class's."""
    now = now or datetime.now(UTC)
    query = (
        select(Event)
        .where(_visible_to(platform_id, school_id, class_id), Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    return list(db.session().scalars(query))


def visible_event(event_id: int, platform_id: int, *, school_id: int | None = None,
                  class_id: str | None = None) -> Event | None:
    """The event if this platform, school and class may see it, else None (same answer for
    "does not exist" and "not yours")."""
    return db.session().scalar(
        select(Event).where(Event.id == event_id, _visible_to(platform_id, school_id, class_id))
    )


def ent_school_id(platform_id: int) -> int | None:
    """The school of someone who launched from this platform, when it can be known.

    A launch names a class, not a school. A platform with a single school (the usual Moodle of
    a collège) can only mean that one; with several, only platform-wide and class events show.
    """
    ids = db.session().scalars(select(School.id).where(School.platform_id == platform_id)
                               .limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def events_of(platform_id: int) -> list[Event]:
    """Every event of the platform (the admin's list), latest first."""
    return list(db.session().scalars(
        select(Event).where(Event.platform_id == platform_id)
        .order_by(Event.starts_at.desc(), Event.id.desc())
    ))


def event_of(platform_id: int, event_id: int) -> Event | None:
    """One event of the platform, whatever its school or class (for its admin)."""
    return db.session().scalar(
        select(Event).where(Event.id == event_id, Event.platform_id == platform_id)
    )


def _check_school(platform_id: int, school_id: int | None) -> None:
    if school_id is None:
        return
    found = db.session().scalar(
        select(School.id).where(School.id == school_id, School.platform_id == platform_id)
    )
    if found is None:
        raise ValidationError({"school_id": [_l("Choisissez un établissement.")]})


def create_event(platform_id: int, data: Mapping[str, Any], *, created_by: str) -> Event:
    """Validate ``data`` and create the event (with its counter at zero).

    Raises ``marshmallow.ValidationError`` (messages per field); nothing is written then.
    """
    clean = load_event(data)
    _check_school(platform_id, clean["school_id"])
    with db.transaction() as tx:
        event = Event(platform_id=platform_id, created_by=created_by[:255], **clean)
        event.attendance = EventAttendance(count=0)
        tx.add(event)
    return event


def update_event(platform_id: int, event_id: int, data: Mapping[str, Any]) -> Event | None:
    """Validate ``data`` and change the platform's event; None if it has no such event.

    The class of a class event is kept unless ``data`` names one. Raises
    ``marshmallow.ValidationError``; nothing is written then.
    """
    clean = load_event(data)
    if "class_id" not in data:
        clean.pop("class_id")
    _check_school(platform_id, clean["school_id"])
    with db.transaction() as tx:
        event = tx.scalar(
            select(Event).where(Event.id == event_id, Event.platform_id == platform_id)
        )
        if event is None:
            return None
        for key, value in clean.items():
            setattr(event, key, value)
    return event


def delete_event(platform_id: int, event_id: int) -> bool:
    """Delete the platform's event and its counter; False if it has no such event."""
    with db.transaction() as tx:
        event = tx.scalar(
            select(Event).where(Event.id == event_id, Event.platform_id == platform_id)
        )
        if event is None:
            return False
        tx.delete(event)
    return True


def count_going(event_id: int) -> None:
    """One more "J'y serai": a single atomic UPDATE, safe with several instances."""
    with db.transaction() as tx:
        done = tx.execute(
            update(EventAttendance)
            .where(EventAttendance.event_id == event_id)
            .values(count=EventAttendance.count + 1)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            return
    # No counter yet (an event written by other means): create it; if another request just
    # did, add to theirs.
    try:
        with db.transaction() as tx:
            tx.add(EventAttendance(event_id=event_id, count=1))
    except IntegrityError:
        with db.transaction() as tx:
            tx.execute(
                update(EventAttendance)
                .where(EventAttendance.event_id == event_id)
                .values(count=EventAttendance.count + 1)
            )
