"""An event belongs to a platform and, optionally, to one school or one class.

Scope, from widest to narrowest: ``school_id`` and ``class_id`` both empty → the whole
platform; ``school_id`` → that school's public page and its families; ``class_id`` (the LTI
context id) → that class only, never any public page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from service.db import Base


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC, read back aware on every database.

    SQLite keeps no time zone: without this, PostgreSQL would return aware datetimes and
    SQLite naive ones, and comparisons would break on one of them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_platform_ends", "platform_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed with ends_at (see __table_args__): "upcoming on this platform" is the hot query.
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # The LTI context id of the class; a class event is shown to that class only.
    class_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    # Language codes spoken there (from the app's LANGUAGES), e.g. ["fr", "ar"].
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    # Who created it: the admin's or teacher's LTI user id, or "cli" / "sandbox".
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: datetime.now(UTC))

    attendance: Mapped[EventAttendance | None] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True,
        uselist=False, lazy="joined",
    )

    @property
    def going(self) -> int:
        """How many said "J'y serai"."""
        return self.attendance.count if self.attendance else 0


class EventAttendance(Base):
    """How many people said "J'y serai": one counter per event, and nothing else.

    No user id, no address, no time of the click: a count cannot say who is coming.
    """

    __tablename__ = "event_attendance"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="attendance")
