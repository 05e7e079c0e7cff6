"""Counting at an event: how many parents were helped, and with what. Counts only.

A volunteer (signed in as a relay) or an admin taps a topic each time they helped someone;
``add`` moves that one count up or down, atomically (two phones at the same stand never lose
a tap), and never below zero. Nothing says who tapped, when, or whom they helped.

The figures feed the school's reach: ``totals`` over an admin's period (every event of the
platform), or over what a class's families could come to (``class_totals``: the platform's
events, the class's school's, the class's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.events.models import Event
from service.topics import TOPICS
from service.volunteers.models import EventTally

# Events offered for counting: those under way or about to start, and the last two weeks'
# (a volunteer may count at home, the evening after).
COUNT_BEFORE = timedelta(hours=24)
COUNT_AFTER = timedelta(days=14)
COUNT_LIMIT = 20


def add(db: Session, platform_id: int, event_id: int, topic: str, step: int) -> None:
    """One more (``step`` 1) or one less (-1) parent helped with ``topic`` at the event, in
    the caller's transaction. The event must be the platform's (the caller checks)."""
    if topic not in TOPICS or step not in (1, -1):
        raise ValueError("a known topic, and a step of 1 or -1")
    table = EventTally.__table__
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(platform_id=platform_id, event_id=event_id, topic=topic,
                                     count=max(step, 0))
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.platform_id, table.c.event_id, table.c.topic],
        set_={"count": case((table.c.count + step < 0, 0), else_=table.c.count + step)},
    )
    db.execute(statement)


def of_event(db: Session, platform_id: int, event_id: int) -> dict[str, int]:
    """The event's counts by topic (topics never counted are absent)."""
    return {topic: count for topic, count in db.execute(
        select(EventTally.topic, EventTally.count).where(
            EventTally.platform_id == platform_id, EventTally.event_id == event_id))}


def events_to_count(db: Session, platform_id: int, now: datetime | None = None) -> list[Event]:
    """The platform's events a volunteer may be counting at: soon, now, or lately."""
    now = now or datetime.now(UTC)
    return list(db.scalars(
        select(Event).where(Event.platform_id == platform_id,
                            Event.starts_at < now + COUNT_BEFORE,
                            Event.ends_at > now - COUNT_AFTER)
        .order_by(Event.starts_at.desc(), Event.id.desc()).limit(COUNT_LIMIT)))


@dataclass(frozen=True, slots=True)
class Totals:
    """Parents helped at events: in all, per topic (in the topics' order), and at how many
    events someone counted."""

    helped: int = 0
    events: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)


def _totals(db: Session, platform_id: int, *where: ColumnElement[bool]) -> Totals:
    counted_rows = (
        select(EventTally.topic, EventTally.event_id, EventTally.count)
        .join(Event, and_(Event.id == EventTally.event_id,
                          Event.platform_id == EventTally.platform_id))
        .where(EventTally.platform_id == platform_id, EventTally.count > 0, *where)
    ).subquery()
    counted = {topic: int(total) for topic, total in db.execute(
        select(counted_rows.c.topic, func.sum(counted_rows.c.count))
        .group_by(counted_rows.c.topic))}
    events = db.scalar(select(func.count(func.distinct(counted_rows.c.event_id)))) or 0
    ordered = {t: counted[t] for t in TOPICS if t in counted}
    return Totals(sum(ordered.values()), int(events), ordered)


def totals(db: Session, platform_id: int, since: datetime,
           until: datetime | None = None) -> Totals:
    """Every event of the platform that started in ``[since, until)``."""
    where = [Event.starts_at >= since]
    if until is not None:
        where.append(Event.starts_at < until)
    return _totals(db, platform_id, *where)


def class_totals(db: Session, platform_id: int, class_id: str, school_id: int | None,
                 since: datetime) -> Totals:
    """The events a class's families could come to (the platform's own, their school's,
    the class's), started since ``since``."""
    platform_wide = and_(Event.school_id.is_(None), Event.class_id.is_(None))
    school = (and_(Event.school_id == school_id, Event.class_id.is_(None))
              if school_id is not None else false())
    return _totals(db, platform_id, Event.starts_at >= since,
                   or_(platform_wide, school, Event.class_id == class_id))


def school_year_start(now: datetime | None = None) -> datetime:
    """1 September of the current school year, midnight UTC."""
    now = now or datetime.now(UTC)
    year = now.year if now.month >= 9 else now.year - 1
    return datetime(year, 9, 1, tzinfo=UTC)
