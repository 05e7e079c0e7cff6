"""``relais worker``: deliver the outbox (``--once`` for one pass, ``--stats`` for counts)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from service import db
from service.notifications import outbox
from service.notifications.senders import senders_from_config
from service.notifications.worker import Policy, Stats, Worker


def worker_for(app: Flask) -> Worker:
    return Worker(app.extensions["relais_engine"], senders_from_config(app.config),
                  Policy.from_config(app.config))


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--interval", default=5.0, show_default=True, type=float,
              help="Seconds between passes when there is nothing to do.")
@click.option("--stats", "show_stats", is_flag=True,
              help="Print how many messages are pending, sent and failed, then exit.")
@with_appcontext
def worker(once: bool, interval: float, show_stats: bool) -> None:
    """Deliver queued emails and SMS, retrying with backoff. Several workers may run on
    PostgreSQL; run one on SQLite."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if show_stats:
        found = outbox.counts(db.session())
        click.echo(", ".join(f"{status} {n}" for status, n in found.items()))
        return
    running = worker_for(app)
    missing = sorted({"email", "sms"} - set(running.senders))
    if missing:
        click.echo(f"not configured: {', '.join(missing)} (their messages wait)", err=True)
    if once:
        stats = running.run_once()
        running.purge()
        click.echo(str(stats))
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()  # finish the message in hand, then leave

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker started ({running.engine.dialect.name}); Ctrl-C to stop")

    def _report(stats: Stats) -> None:
        click.echo(str(stats))

    total = running.run_forever(interval=interval, stop=stop, on_pass=_report)
    click.echo(f"worker stopped: {total}")


commands = (worker,)
