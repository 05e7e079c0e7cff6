"""A platform's settings, as its admins set them. No row: every default applies.

What parents use (Pronote, the ENT's app, EduConnect) lives with the wizard
(``service.onboarding``), which branches on it; the settings page writes it there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base


class PlatformSettings(Base):
    __tablename__ = "platform_settings"

    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platform.id", ondelete="CASCADE"), primary_key=True
    )
    # Days a help request and a parent's data are kept after their last change; None: the
    # instance's RETENTION_DAYS.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Comma-separated language codes offered to families; "": every language of the instance.
    languages: Mapped[str] = mapped_column(String(100), default="")
    ent_url: Mapped[str] = mapped_column(String(1000), default="")
    pronote_url: Mapped[str] = mapped_column(String(1000), default="")
    ent_app_url: Mapped[str] = mapped_column(String(1000), default="")
    educonnect_url: Mapped[str] = mapped_column(String(1000), default="")
    # How launches say who is who (plugin.context.AdapterSettings fields); None: defaults.
    audience: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
