"""Event kits for one platform: the files' content with the platform's own sections, the
events a kit serves, and the school link its poster and cards carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.events.models import Event
from service.schools.models import School
from service.schools.services import public_link
from service.volunteers import content
from service.volunteers.models import KIT_TEXT_MAX, KitOverride, utcnow

UPCOMING_DAYS = 90
UPCOMING_LIMIT = 20


def overrides(db: Session, platform_id: int, slug: str) -> dict[str, str]:
    """The platform's text for the kit's sections, by section key."""
    return {row.section: row.body for row in db.scalars(
        select(KitOverride).where(KitOverride.platform_id == platform_id,
                                  KitOverride.kit == slug))}


def kit_for(db: Session, platform_id: int, slug: str, locale: str
            ) -> tuple[content.Kit, bool] | None:
    """The kit as this platform prints it, and whether it is a French fallback; None for a
    kit that does not exist."""
    if slug not in content.KITS:
        return None
    kit, fallback = content.shelf().kit(slug, locale)
    if kit is None:
        return None
    return content.with_overrides(kit, overrides(db, platform_id, slug)), fallback


def serves(kit: content.Kit, kind: str) -> bool:
    """A kit serves the event kinds it names; one that names none serves every event."""
    return not kit.event_kinds or kind in kit.event_kinds


def upcoming_events(db: Session, platform_id: int, now: datetime | None = None) -> list[Event]:
    """The platform's events not yet over in the next months, soonest first (every school's
    and class's: volunteers and admins prepare them all)."""
    now = now or datetime.now(UTC)
    return list(db.scalars(
        select(Event).where(Event.platform_id == platform_id, Event.ends_at > now,
                            Event.starts_at < now + timedelta(days=UPCOMING_DAYS))
        .order_by(Event.starts_at, Event.id).limit(UPCOMING_LIMIT)))


def school_link(db: Session, platform_id: int, event: Event | None) -> str | None:
    """The public help link to print: the event's school's, else the platform's only school's;
    None when Relais cannot tell which school."""
    if event is not None and event.school_id is not None:
        school = db.get(School, event.school_id)
        if school is not None and school.platform_id == platform_id:
            return public_link(school)
    schools = db.scalars(select(School).where(School.platform_id == platform_id).limit(2)).all()
    return public_link(schools[0]) if len(schools) == 1 else None


@dataclass(frozen=True, slots=True)
class Saved:
    changed: int
    errors: dict[str, str]  # section key -> content.check_lines code


def save(db: Session, platform_id: int, slug: str, values: Mapping[str, str]) -> Saved:
    """Store the platform's text for each section given (``{key: text}``) in the caller's
    transaction. A text left empty, or the same as the files', goes back to the files' own.
    Nothing is stored when one section does not fit (``errors``)."""
    plain = content.shelf().kits[content.DEFAULT_LOCALE][slug]
    errors: dict[str, str] = {}
    wanted: dict[str, str | None] = {}
    for section in plain.sections:
        if section.key not in values:
            continue
        body = values[section.key].replace("\r\n", "\n").strip()
        lines = content.split_lines(body)
        if not lines or "\n".join(lines) == "\n".join(_typed(section.lines)):
            wanted[section.key] = None
            continue
        problem = "too_long" if len(body) > KIT_TEXT_MAX else content.check_lines(
            section.layout, lines)
        if problem:
            errors[section.key] = problem
        wanted[section.key] = "\n".join(lines)
    if errors:
        return Saved(0, errors)
    current = {row.section: row for row in db.scalars(
        select(KitOverride).where(KitOverride.platform_id == platform_id,
                                  KitOverride.kit == slug))}
    changed = 0
    now = utcnow()
    for key, body in wanted.items():
        row = current.get(key)
        if body is None:
            if row is not None:
                db.execute(delete(KitOverride).where(KitOverride.id == row.id))
                changed += 1
        elif row is None:
            db.add(KitOverride(platform_id=platform_id, kit=slug, section=key, body=body,
                               updated_at=now))
            changed += 1
        elif row.body != body:
            row.body, row.updated_at = body, now
            changed += 1
    return Saved(changed, {})


def _typed(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Lines as an admin would type them back (French no-break spaces are ordinary ones)."""
    return tuple(line.replace("\u00a0", " ") for line in lines)


def form_values(db: Session, platform_id: int, slug: str) -> dict[str, str]:
    """What the admin's form shows: the platform's text, else the files' own."""
    plain = content.shelf().kits[content.DEFAULT_LOCALE][slug]
    own = overrides(db, platform_id, slug)
    return {s.key: own.get(s.key) or "\n".join(_typed(s.lines)) for s in plain.sections}
