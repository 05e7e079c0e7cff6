"""A class's settings, the parents' visits to a class, and pending deep-linking requests.

A class is an LTI context: ``platform_id`` + ``class_id`` (the context id) name it, and every
query names both. A visit keeps the parent's LTI ``sub`` and their children's (as the platform
sent them), never a name: the dashboard matches them with the class list it reads live from the
platform, and forgets the list after the page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base

CONTACT_MAX = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


class ClassSettings(Base):
    """What a teacher chose for their class. No row: Relais is on, everything is shown."""

    __tablename__ = "class_settings"
    __table_args__ = (
        UniqueConstraint("platform_id", "class_id", name="uq_class_settings_platform_class"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    class_id: Mapped[str] = mapped_column(String(255))  # the LTI context id
    title: Mapped[str] = mapped_column(String(255), default="")  # as the platform names it
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Topic codes (service/topics.py) and wizard stage ids parents see; None: all of them.
    topics: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    hidden_stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str] = mapped_column(String(CONTACT_MAX), default="")
    # The class's school when the platform has several (one school: that one, always).
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), nullable=True
    )
    flyer_languages: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The class's NRPS endpoint, from the last teacher launch that carried one.
    memberships_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ClassVisit(Base):
    """A parent opened Relais from this class at least once (first time kept)."""

    __tablename__ = "class_visit"
    __table_args__ = (
        UniqueConstraint("platform_id", "class_id", "user_id",
                         name="uq_class_visit_platform_class_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    class_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))  # the parent's LTI sub
    # The children's LTI subs (role_scope_mentor), as sent at the last launch that had them.
    children_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeepLinkRequest(Base):
    """A deep-linking launch waiting for the teacher's choice: what the answer must echo.

    Kept on the server (the platform's ``data`` can be long; a cookie cannot hold it) for
    ``LIFETIME`` seconds, then purged.
    """

    __tablename__ = "deep_link_request"
    __table_args__ = (Index("ix_deep_link_request_expires_at", "expires_at"),)

    LIFETIME = 3600.0

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, in the session
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255), default="")
    class_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(20))
    return_url: Mapped[str] = mapped_column(String(2000))
    accept_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    accept_multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[float] = mapped_column(Float)
