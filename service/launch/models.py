"""What a launch must remember: nonces already used, handoffs to a new window, the tool keys."""

from __future__ import annotations

from sqlalchemy import Float, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base


class LtiNonce(Base):
    """A nonce accepted once: the primary key makes a second acceptance fail atomically, on
    SQLite and on PostgreSQL alike, so two instances can never both accept the same id_token.
    Rows are kept until the nonce could no longer be valid, then purged."""

    __tablename__ = "lti_nonce"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class ToolKeyRow(Base):
    __tablename__ = "tool_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float)
    activated_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    retired_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class LtiHandoff(Base):
    """A proven launch waiting to be opened in a new window (see service/launch/handoff.py)."""

    __tablename__ = "lti_handoff"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
