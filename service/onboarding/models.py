"""Each parent's progress in the wizard, and the tools each platform uses.

Progress belongs to one person of one platform (platform + LTI ``sub``): it is kept on the
server, so it survives a browser that keeps no cookie, and every query names both columns.
It holds answers and step names only: no address, no number, nothing typed by the parent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base
from service.onboarding.path import DEVICES, EMAIL_CHOICES

STEPS_MAX = 200  # comma-separated stage ids: every stage fits many times over


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IS NULL OR {column} IN ({', '.join(repr(v) for v in values)})"


class WizardProgress(Base):
    __tablename__ = "wizard_progress"
    __table_args__ = (
        UniqueConstraint("platform_id", "user_id", name="uq_wizard_progress_platform_user"),
        CheckConstraint(_in("device", DEVICES), name="device"),
        CheckConstraint(_in("email_choice", EMAIL_CHOICES), name="email_choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))  # LTI sub
    current_step: Mapped[str] = mapped_column(String(40))  # a stage id, or "done"
    device: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The answer to "do you have an email address?" (has / create / without); never an address.
    email_choice: Mapped[str | None] = mapped_column(String(10), nullable=True)
    done_steps: Mapped[str] = mapped_column(String(STEPS_MAX), default="")  # stage ids
    skipped_steps: Mapped[str] = mapped_column(String(STEPS_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def done(self) -> frozenset[str]:
        return frozenset(s for s in self.done_steps.split(",") if s)

    @property
    def skipped(self) -> frozenset[str]:
        return frozenset(s for s in self.skipped_steps.split(",") if s)


class WizardTools(Base):
    """What a platform uses (pronote, ent_app, educonnect, comma-separated), set from the
    command line (later from the admin pages). No row: the configuration, then the default."""

    __tablename__ = "wizard_tools"

    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platform.id", ondelete="CASCADE"), primary_key=True
    )
    tools: Mapped[str] = mapped_column(String(60), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
