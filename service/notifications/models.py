"""One outgoing message: its channel, recipient and text, and where its delivery stands.

``key`` is the message's idempotency key: enqueuing the same key twice stores one message, and
providers are given it (SMS ``Idempotency-Key``, email ``Message-ID``) so that a delivery cut
short after the provider took it, and retried, is recognised there as the same message.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base

CHANNELS = ("email", "sms")
# pending: waiting for its (next) attempt; sent: the provider took it; failed: given up.
STATUSES = ("pending", "sent", "failed")
KEY_MAX = 200
ERROR_MAX = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        # What a worker looks for: the pending messages that are due, oldest first.
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(320))  # an email address or an E.164 number
    subject: Mapped[str] = mapped_column(String(200), default="")  # email only
    body: Mapped[str] = mapped_column(Text)
    # What the message is about, for the domain that wrote it ("help_request:42:parent"): lets
    # it withdraw what has not gone yet (a parent erasing their number). Never shown to anyone.
    ref: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # SQLite only (no row locks): a worker's claim on the message until this time.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The kind of the last failure (``smtp 451``, ``http 500``, ``timeout``): never a body,
    # never an address, so the table holds no more personal data than the message itself.
    last_error: Mapped[str] = mapped_column(String(ERROR_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
