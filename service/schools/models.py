"""A school belongs to one platform; its ``slug`` is the short link of its public help page."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base


class School(Base):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("platform_id", "name", name="uq_school_platform_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Short, unguessable-enough code for the public page (/e/<slug>); unique across platforms
    # because the public page has no other way to know its tenant.
    slug: Mapped[str] = mapped_column(String(16), unique=True)
    uai: Mapped[str | None] = mapped_column(String(8), nullable=True)  # national school id
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The school's default contact for help requests no rule routes elsewhere.
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
