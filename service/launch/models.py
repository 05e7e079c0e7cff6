"""What a launch needs to remember between the login and the id_token POST, and the tool keys."""

from __future__ import annotations

from sqlalchemy import Float, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base


class LtiLogin(Base):
    """One OIDC login: its state, the nonce sent to the platform, and when it was used.

    The nonce is consumed with a single conditional UPDATE, which is atomic on SQLite and on
    PostgreSQL, so two instances can never both accept the same id_token.
    """

    __tablename__ = "lti_login"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    # The login parameters, to restart the flow at top level when the iframe has no cookies.
    login_params: Mapped[str] = mapped_column(Text, default="{}")
    # Hash of the secret put in the platform's storage (lti_storage_target), when used.
    browser_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    used_at: Mapped[float | None] = mapped_column(Float, nullable=True)


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
