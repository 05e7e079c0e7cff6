"""A relay's access links and the private notes relays write on a request.

Only the SHA-256 of a link's token is stored: the link is shown once, to the admin who makes
it, and cannot be read back from the database. ``kind`` tells the personal link the admin
hands over (one valid at a time) from the links carried by notification emails (short-lived,
bounded by the personal link they come from). Revoking a relay's access revokes both.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base

KINDS = ("personal", "notification")
NOTE_MAX = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; they are all UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class RelayAccess(Base):
    __tablename__ = "relay_access"
    __table_args__ = (
        CheckConstraint("kind IN ('personal', 'notification')", name="kind"),
        Index("ix_relay_access_platform_relay", "platform_id", "relay_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    # A relay of service/directory: a plain integer, no foreign key yet, as in help's tables
    # (see migration 0010). ``access.relay_of`` checks the relay exists on the platform.
    relay_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)

    def valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and as_utc(self.expires_at) > now


class RelayNote(Base):
    """A short note a relay keeps on a request, for themselves and whoever holds it next.
    The parent never sees it; it goes with the request when the request is deleted."""

    __tablename__ = "relay_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    # The author (a plain integer, see RelayAccess); the note belongs to the request and stays
    # if the relay leaves.
    relay_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str] = mapped_column(String(NOTE_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
