"""A parent's offer to help, a platform's own words in a kit, and the counts noted at events.

``Volunteer`` holds the little a volunteer gives (a first name, languages, when they are
free, what they are at ease with, a phone number only with their consent). Approved, they
point at their relay (``relay_id``) in the directory. When they leave, the row goes, and the
relay with it (``services.leave``): nothing personal of theirs stays.

``EventTally`` is a count per event and topic, nothing else: no name, no time of the tap,
nobody who tapped. ``KitOverride`` is a platform's text for one section of a kit.

``relay_id`` and ``event_id`` are plain integers, as in help's tables: ``relay`` and ``event``
come in sibling migrations (0003, 0004); the revision merging the heads can add the foreign
keys. The services look both up on the platform every time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base

STATUSES = ("pending", "active", "paused")
FIRST_NAME_MAX = 50
KIT_TEXT_MAX = 4000


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite reads timestamps back without their zone; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Volunteer(Base):
    __tablename__ = "volunteer"
    __table_args__ = (
        UniqueConstraint("platform_id", "user_id", name="uq_volunteer_platform_user"),
        CheckConstraint("status IN ('pending', 'active', 'paused')", name="status"),
        # A number never sits in the table without the consent that allows it.
        CheckConstraint("phone IS NULL OR consent_at IS NOT NULL", name="phone_consent"),
        Index("ix_volunteer_platform_relay", "platform_id", "relay_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    # The parent's LTI id: they signed up from the ENT, and find their page again there.
    user_id: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(FIRST_NAME_MAX))
    # Multi-values stored as "|fr|ar|" (see service.directory.models.join_values).
    languages: Mapped[str] = mapped_column(String(100), default="")
    moments: Mapped[str] = mapped_column(String(100), default="")
    at_ease: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    relay_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                         nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KitOverride(Base):
    """A platform's own lines for one section of a kit (the files hold the default)."""

    __tablename__ = "kit_override"
    __table_args__ = (
        UniqueConstraint("platform_id", "kit", "section", name="uq_kit_override_section"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    kit: Mapped[str] = mapped_column(String(40))
    section: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventTally(Base):
    """How many parents were helped with ``topic`` at an event: a count, and nothing else."""

    __tablename__ = "event_tally"
    __table_args__ = (
        UniqueConstraint("platform_id", "event_id", "topic", name="uq_event_tally_topic"),
        CheckConstraint("count >= 0", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)
