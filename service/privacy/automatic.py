"""The purge, run automatically: at most once a day across every instance, on a request.

There is no scheduler to install: the first request after the day is over claims the run with
one conditional UPDATE of ``maintenance_run`` (atomic on SQLite and PostgreSQL, so two instances
never both run it) and purges. Each process checks the database at most every ten minutes, so
ordinary requests pay nothing. ``relais purge`` runs it at once and counts as the day's run.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from service import db
from service.privacy.models import MaintenanceRun, utcnow
from service.privacy.services import Purged, purge

log = logging.getLogger(__name__)

TASK = "purge"
EVERY = timedelta(days=1)
_CHECK_EVERY = 600.0


def enabled(app: Flask) -> bool:
    """``AUTO_PURGE`` true or false; unset: on, except in tests (which purge on purpose)."""
    setting = app.config.get("AUTO_PURGE")
    return (not app.testing) if setting is None else bool(setting)


def claim(now: datetime | None = None) -> bool:
    """Take today's run: True for exactly one caller per day, whichever instance it is on."""
    now = now or utcnow()
    try:
        with db.transaction() as tx:
            taken = tx.execute(update(MaintenanceRun)
                               .where(MaintenanceRun.name == TASK,
                                      MaintenanceRun.last_run_at <= now - EVERY)
                               .values(last_run_at=now))
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return True
            if tx.get(MaintenanceRun, TASK) is not None:
                return False
            tx.add(MaintenanceRun(name=TASK, last_run_at=now))
    except IntegrityError:  # another instance inserted the first row at the same moment
        return False
    return True


def run_now(now: datetime | None = None) -> list[Purged]:
    """Purge now, and count it as the day's run."""
    now = now or utcnow()
    with db.transaction() as tx:
        report = purge(tx, now)
        found = tx.get(MaintenanceRun, TASK)
        if found is None:
            tx.add(MaintenanceRun(name=TASK, last_run_at=now))
        else:
            found.last_run_at = now
    return report


def maybe_purge(now: datetime | None = None) -> list[Purged] | None:
    """Purge when the day's run is due and nobody took it; None when nothing ran. Never
    raises: a failed purge is logged and tried again the next day."""
    app = current_app
    if not enabled(app):
        return None
    state = app.extensions.setdefault("relais_purge_check", {"next": 0.0})
    if time.monotonic() < state["next"]:
        return None
    state["next"] = time.monotonic() + _CHECK_EVERY
    try:
        if not claim(now):
            return None
        with db.transaction() as tx:
            report = purge(tx, now)
    except SQLAlchemyError:
        log.exception("automatic purge failed; it runs again tomorrow")
        db.session().rollback()
        return None
    removed = [p for p in report if p.anything]
    log.info("automatic purge: %s", ", ".join(
        f"{p.platform}: {p.help_requests} requests, {p.wizard_progress} progress, "
        f"{p.phones} numbers" for p in removed) or "nothing past retention")
    return report
