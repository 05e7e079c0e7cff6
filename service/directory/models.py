"""A relay: a person or a place that helps parents, in one platform's directory.

Multi-valued columns (``languages``, ``access``) are stored as ``|ar|en|``: a value is found
with ``LIKE '%|ar|%'`` on SQLite and PostgreSQL alike, without a join table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base

KINDS = ("parent_ressource", "mediateur", "structure")
# How to get in; "no_public" places are kept (for admins) but never offered to parents.
ACCESS_MODES = ("walk_in", "phone", "appointment", "email", "referral", "no_public")
FEES = ("free", "free_conditional", "paid")
# "xx": the open data says "other foreign languages" without naming them.
OTHER_LANGUAGES = "xx"


class Relay(Base):
    __tablename__ = "relay"
    __table_args__ = (
        # Re-import is idempotent by the open-data id, per platform. Relays added by hand have
        # no source id (NULLs never collide, on SQLite and PostgreSQL).
        UniqueConstraint("platform_id", "source_id", name="uq_relay_platform_source"),
        # Nearest search: a latitude band of the platform, whose longitudes are checked in the
        # index itself, so only the places inside the box are read from the table.
        Index("ix_relay_platform_latitude", "platform_id", "latitude", "longitude"),
        # Locating what a parent typed, from the platform's own places.
        Index("ix_relay_platform_postcode", "platform_id", "postcode"),
        Index("ix_relay_platform_commune_key", "platform_id", "commune_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(200), default="")
    # The commune lower-cased, without accents or hyphens: what a parent types is compared to it.
    commune_key: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    # The public contact of a place; never a private person's address.
    email: Mapped[str] = mapped_column(String(320), default="")
    website: Mapped[str] = mapped_column(String(1000), default="")
    # OpenStreetMap opening_hours syntax (the open data's ``horaires``); shown as text if
    # it does not parse.
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[str] = mapped_column(String(200), default="")
    appointment_url: Mapped[str] = mapped_column(String(1000), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    fees: Mapped[str] = mapped_column(String(20), default="")
    family: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    accessibility_url: Mapped[str] = mapped_column(String(1000), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    welcomes_public: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by an admin; an import never changes it.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Hash of the imported content: a re-import leaves an unchanged row alone.
    content_hash: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


def join_values(values: object) -> str:
    """``["ar", "en"]`` -> ``"|ar|en|"`` (empty string for no value)."""
    items = [str(v) for v in (values or ()) if v]  # type: ignore[attr-defined]
    return f"|{'|'.join(items)}|" if items else ""


def split_values(stored: str) -> tuple[str, ...]:
    return tuple(v for v in stored.split("|") if v)
