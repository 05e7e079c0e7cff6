"""The audit log, and when the automatic purge last ran.

An audit entry says who did what, when, on which platform: an admin's LTI id and name, or
only the kind of actor for a parent or the system. A person whose data is concerned is named
by a keyed pseudonym (``person:<hmac>``), never by their LTI id, number or name, and erasing
that person rewrites the pseudonym to ``person:erased``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite reads timestamps back without their zone; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_platform_at", "platform_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the operator's own actions before a platform exists (e.g. a registration link).
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform.id", ondelete="CASCADE"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # admin | parent | system | operator | api
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(255), nullable=True)  # admins only
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100), default="")
    # Never personal: field names, counts, a token's or a school's name.
    detail: Mapped[str] = mapped_column(String(300), default="")


class MaintenanceRun(Base):
    """One row per periodic task: the time it last started, shared by every instance."""

    __tablename__ = "maintenance_run"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
