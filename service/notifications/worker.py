"""``relais worker``: deliver the outbox, with retries and exponential backoff, each message
once.

How a message is taken, so that no two workers send it:

- **PostgreSQL**: ``SELECT … FOR UPDATE SKIP LOCKED`` picks one due message that no other
  worker holds; it is sent while the row stays locked, and marked sent (or rescheduled) in
  that same transaction. Any number of workers can run, on any number of machines.
- **SQLite** (no row locks; one writer at a time): one atomic ``UPDATE … RETURNING`` claims a
  due message with a lease (a time and a token) and commits at once, so the web process is
  never kept waiting while a mail server answers; the message is then sent and marked sent
  if the lease is still ours. Run a single worker.

Either way the only window for a second delivery is a worker dying after the provider took a
message and before the mark was written; the retry carries the same idempotency key
(``Idempotency-Key`` for SMS, the same ``Message-ID`` for email) so the provider can drop it.

Backoff: attempt n waits ``base × 2^(n-1)`` seconds (capped, plus up to 10 % jitter so a
crowd of messages does not come back at the same instant); after ``NOTIFY_MAX_ATTEMPTS`` a
message is ``failed`` and stays for the operator (``relais worker --stats``).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from service.notifications import outbox
from service.notifications.models import OutboxMessage, utcnow
from service.notifications.senders import DeliveryFailed, Sender

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Policy:
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 12
    lease_seconds: float = 120.0  # SQLite: longer than any send can take (timeouts are 10 s)
    keep_days: int = 7

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        return cls(
            base_seconds=float(config.get("NOTIFY_RETRY_BASE_SECONDS", 30)),
            max_seconds=float(config.get("NOTIFY_RETRY_MAX_SECONDS", 3600)),
            max_attempts=int(config.get("NOTIFY_MAX_ATTEMPTS", 12)),
            keep_days=int(config.get("OUTBOX_KEEP_DAYS", 7)),
        )

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        seconds = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds)
        return timedelta(seconds=seconds * (1 + random.random() / 10))  # noqa: S311


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, other: Stats) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        for reason, n in other.errors.items():
            self.errors[reason] = self.errors.get(reason, 0) + n

    def __str__(self) -> str:
        return f"sent {self.sent}, to retry {self.retried}, failed {self.failed}"


class Worker:
    """Delivers due messages through ``senders`` (by channel). Thread-safe enough to run
    several in one process (each call uses its own database session)."""

    def __init__(self, engine: Engine, senders: Mapping[str, Sender], policy: Policy,
                 clock: Clock = utcnow) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.policy = policy
        self.clock = clock
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.locking = engine.dialect.name == "postgresql"

    # --- one message ---------------------------------------------------------------------

    def deliver_one(self, stats: Stats) -> bool:
        """Take one due message and try to deliver it; False when none is due."""
        if self.locking:
            return self._deliver_locked(stats)
        return self._deliver_leased(stats)

    def _due(self, now: datetime) -> Any:
        return (
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
        )

    def _deliver_locked(self, stats: Stats) -> bool:
        with self.sessions() as db, db.begin():
            now = self.clock()
            message = db.scalars(self._due(now).with_for_update(skip_locked=True)).first()
            if message is None:
                return False
            self._attempt(message, stats)
            return True  # the commit marks it, with the lock still held until then

    def _deliver_leased(self, stats: Stats) -> bool:
        now = self.clock()
        token = secrets.token_hex(16)
        until = now + timedelta(seconds=self.policy.lease_seconds)
        with self.sessions() as db, db.begin():
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until <= now),
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
                .scalar_subquery()
            )
            claimed = db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == due)
                .values(lease_until=until, lease_token=token)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).scalar()
        if claimed is None:
            return False
        with self.sessions() as db, db.begin():
            message = db.get(OutboxMessage, claimed)
            if message is None or message.lease_token != token:
                return True  # withdrawn meanwhile
            db.expunge(message)
        self._attempt(message, stats)
        with self.sessions() as db, db.begin():
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claimed, OutboxMessage.lease_token == token)
                .values(status=message.status, attempts=message.attempts,
                        next_attempt_at=message.next_attempt_at, sent_at=message.sent_at,
                        last_error=message.last_error, lease_until=None, lease_token=None)
                .execution_options(synchronize_session=False)
            )
        return True

    def _attempt(self, message: OutboxMessage, stats: Stats) -> None:
        """Send ``message`` and record the outcome on it (the caller writes it)."""
        message.attempts += 1
        sender = self.senders.get(message.channel)
        try:
            if sender is None:
                raise DeliveryFailed(f"no {message.channel} sender configured")
            sender.send(message)
        except DeliveryFailed as failure:
            self._failed(message, failure.reason, failure.permanent, stats)
            return
        except Exception as error:  # a bug must not stop the queue: retried like the rest
            log.exception("outbox message %s: unexpected error", message.id)
            self._failed(message, f"error {type(error).__name__}", False, stats)
            return
        message.status = "sent"
        message.sent_at = self.clock()
        message.last_error = ""
        stats.sent += 1

    def _failed(self, message: OutboxMessage, reason: str, permanent: bool,
                stats: Stats) -> None:
        now = self.clock()
        message.last_error = reason
        stats.errors[reason] = stats.errors.get(reason, 0) + 1
        if permanent or message.attempts >= self.policy.max_attempts:
            message.status = "failed"
            message.next_attempt_at = now
            stats.failed += 1
            log.warning("outbox message %s given up after %s attempts: %s",
                        message.id, message.attempts, reason)
        else:
            message.next_attempt_at = now + self.policy.delay(message.attempts)
            stats.retried += 1
            log.info("outbox message %s: attempt %s failed (%s), next at %s",
                     message.id, message.attempts, reason, message.next_attempt_at)

    # --- passes and the loop -------------------------------------------------------------

    def run_once(self, limit: int | None = None) -> Stats:
        """Deliver every message due now (at most ``limit``), then return. A message that
        fails is rescheduled for later, so a pass always ends."""
        stats = Stats()
        done = 0
        while (limit is None or done < limit) and self.deliver_one(stats):
            done += 1
        return stats

    def purge(self) -> int:
        with self.sessions() as db, db.begin():
            return outbox.purge_finished(db, self.policy.keep_days, self.clock())

    def run_forever(self, interval: float = 5.0, stop: threading.Event | None = None,
                    on_pass: Callable[[Stats], None] | None = None) -> Stats:
        """Passes every ``interval`` seconds until ``stop`` is set; each pass that found
        nothing to do sleeps, one that did work goes on at once. The database being
        unreachable is waited out, not fatal."""
        stop = stop or threading.Event()
        total = Stats()
        last_purge: datetime | None = None
        while not stop.is_set():
            try:
                stats = self.run_once(limit=500)
                if last_purge is None or self.clock() - last_purge > timedelta(hours=1):
                    self.purge()
                    last_purge = self.clock()
            except Exception:  # the database went away: wait and try again
                log.exception("outbox pass failed; retrying in %s s", interval)
                stop.wait(interval)
                continue
            total.add(stats)
            if on_pass is not None and (stats.sent or stats.retried or stats.failed):
                on_pass(stats)
            if not (stats.sent or stats.retried or stats.failed):
                stop.wait(interval)
        return total

