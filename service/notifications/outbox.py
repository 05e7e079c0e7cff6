"""Writing to the outbox, in the caller's transaction, and tidying it.

``enqueue`` adds a message to the session the caller is changing things with: the message is
committed with the change that causes it, or rolled back with it. Nothing here talks to the
network; ``service.notifications.worker`` delivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.notifications.models import CHANNELS, KEY_MAX, OutboxMessage, utcnow


@dataclass(frozen=True, slots=True)
class Message:
    """What to send. ``key`` identifies it for ever (same key, same message: stored once,
    delivered once); ``ref`` says what it is about, for ``discard``."""

    platform_id: int
    key: str
    channel: str  # "email" | "sms"
    recipient: str
    body: str
    subject: str = ""
    ref: str | None = None


def enqueue(db: Session, message: Message, *, now: datetime | None = None) -> bool:
    """Queue ``message`` in the caller's transaction; False when its key is already queued or
    sent (nothing is added). Raises ``ValueError`` for an unknown channel, an empty recipient
    or body, or a key longer than the column."""
    if message.channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    if not message.recipient or not message.body or not message.key:
        raise ValueError("a message needs a key, a recipient and a body")
    if len(message.key) > KEY_MAX:
        raise ValueError("key too long")
    if message.channel == "email" and ("\n" in message.subject or "\r" in message.subject):
        raise ValueError("a subject is one line")
    pending = [m for m in db.new if isinstance(m, OutboxMessage) and m.key == message.key]
    if pending or db.scalar(select(OutboxMessage.id).where(OutboxMessage.key == message.key)):
        return False
    now = now or utcnow()
    db.add(OutboxMessage(
        platform_id=message.platform_id,
        key=message.key,
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        ref=message.ref,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    ))
    return True


def discard(db: Session, ref: str) -> int:
    """Withdraw the messages about ``ref`` that have not gone yet, in the caller's
    transaction; returns how many. A message a worker is sending at this very moment may
    still go (on PostgreSQL this waits for that worker to finish with it)."""
    result = db.execute(
        delete(OutboxMessage).where(OutboxMessage.ref == ref, OutboxMessage.status == "pending")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def counts(db: Session) -> dict[str, int]:
    """How many messages per status (``pending``, ``sent``, ``failed``)."""
    rows = db.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in ("pending", "sent", "failed")}


def purge_finished(db: Session, keep_days: int, now: datetime | None = None) -> int:
    """Delete the messages sent or given up more than ``keep_days`` ago: their recipients and
    texts are personal data, kept only as long as support may need them."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = db.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "failed")),
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at) < cutoff,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
