"""A one-time registration link, as the operator hands it to a platform's admin.

Only the SHA-256 of the token is stored: the link is shown once and cannot be read back from
the database. ``claimed_until`` holds the link while one registration is in flight, so two
tabs opening it at once cannot register twice; ``used_at`` is set only when a platform has
been stored.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base


class RegistrationLink(Base):
    __tablename__ = "registration_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    claimed_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    used_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The platform it registered, kept for the operator's record.
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform.id", ondelete="SET NULL"), nullable=True
    )
