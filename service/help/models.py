"""A help request, its status trail, its assignments, and the routing rules that assign it.

A phone number is stored only with the parent's consent (``consent_at``) and carries the date
by which it must be gone (``phone_erase_at``); a check constraint keeps the pair honest. The
trail never holds the number or any free text: only who did what, when.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base

# Ordered as a request lives; ``cancelled`` is the parent's own decision.
STATUSES = ("new", "contacted", "resolved", "closed", "cancelled")
OPEN_STATUSES = ("new", "contacted")
# Who may move a request where. Relays (later issue) use contacted/resolved/closed.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"contacted", "resolved", "closed", "cancelled"}),
    "contacted": frozenset({"resolved", "closed", "cancelled"}),
    "resolved": frozenset(),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
ORIGINS = ("ent", "public")
CHANNELS = ("callback", "in_person", "at_event")
MOMENTS = ("morning", "midday", "afternoon", "evening", "saturday")

# Assignment targets, shared by rules and assignments.
TARGET_RELAY = "relay"
TARGET_SCHOOL_CONTACT = "school_contact"

FIRST_NAME_MAX = 50
MESSAGE_MAX = 500
CODE_LENGTH = 8


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class HelpRequest(Base):
    __tablename__ = "help_request"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("origin", ORIGINS), name="origin"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        # A number never sits in the table without the consent that allows it.
        CheckConstraint(
            "phone IS NULL OR (consent_at IS NOT NULL AND phone_erase_at IS NOT NULL)",
            name="phone_consent",
        ),
        Index("ix_help_request_platform_status", "platform_id", "status"),
        Index("ix_help_request_platform_user", "platform_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), nullable=True, index=True
    )
    class_id: Mapped[str | None] = mapped_column(String(255), nullable=True)  # LTI context
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)  # LTI sub
    origin: Mapped[str] = mapped_column(String(10))
    # The reference code the parent reads out: 8 characters, stored without the dash.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    topic: Mapped[str] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(40), nullable=True)  # wizard step
    device: Mapped[str | None] = mapped_column(String(20), nullable=True)  # wizard branch
    channel: Mapped[str] = mapped_column(String(12))
    language: Mapped[str] = mapped_column(String(8))
    moments: Mapped[str] = mapped_column(String(60), default="")  # comma-separated MOMENTS
    first_name: Mapped[str] = mapped_column(String(FIRST_NAME_MAX), default="")
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    phone_erase_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX), default="")
    # The parent asked to be told by SMS when the request moves on (only with a number).
    sms_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="new")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    events: Mapped[list[HelpRequestEvent]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="HelpRequestEvent.id",
        lazy="selectin",
    )
    assignments: Mapped[list[HelpAssignment]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="HelpAssignment.id",
        lazy="selectin",
    )

    @property
    def moment_list(self) -> list[str]:
        return [m for m in self.moments.split(",") if m]

    @property
    def active_assignments(self) -> list[HelpAssignment]:
        return [a for a in self.assignments if a.ended_at is None]


class HelpRequestEvent(Base):
    """One line of the trail: a creation, a status change, an assignment, an erased number."""

    __tablename__ = "help_request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # created | status | assigned | unassigned | phone_erased
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # parent | relay | admin | teacher | system
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    target: Mapped[str | None] = mapped_column(String(20), nullable=True)
    relay_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    request: Mapped[HelpRequest] = relationship(back_populates="events")


class HelpAssignment(Base):
    """Who a request is with: a relay, or the school's default contact. Several can be active;
    handing over ends one (``ended_at``) and starts another. No active row: the platform's
    admins see it as unassigned."""

    __tablename__ = "help_assignment"
    __table_args__ = (
        CheckConstraint(
            f"(target = '{TARGET_RELAY}' AND relay_id IS NOT NULL) OR "
            f"(target = '{TARGET_SCHOOL_CONTACT}' AND relay_id IS NULL AND school_id IS NOT NULL)",
            name="target",
        ),
        Index("ix_help_assignment_platform_relay", "platform_id", "relay_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20))
    # A relay of service/directory. A plain integer, no foreign key yet: the relay table came
    # in a sibling migration (0003); the revision merging the heads can add one. Routing checks
    # that the relay exists on the platform.
    relay_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), nullable=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_rule.id", ondelete="SET NULL"), nullable=True
    )
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    request: Mapped[HelpRequest] = relationship(back_populates="assignments")


class RoutingRule(Base):
    """Send requests matching (topic, language, school) — each criterion optional, ``None``
    meaning any — to a relay or to the school's default contact."""

    __tablename__ = "routing_rule"
    __table_args__ = (
        CheckConstraint(
            f"(target = '{TARGET_RELAY}' AND relay_id IS NOT NULL) OR "
            f"(target = '{TARGET_SCHOOL_CONTACT}' AND relay_id IS NULL)",
            name="target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str | None] = mapped_column(String(40), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), nullable=True
    )
    target: Mapped[str] = mapped_column(String(20))
    relay_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # see HelpAssignment
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.topic, self.language, self.school_id))
