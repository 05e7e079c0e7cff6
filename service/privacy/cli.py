"""``relais purge``: remove now what is past each platform's retention period."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from service.privacy.automatic import run_now


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Remove help requests and wizard progress unchanged for longer than each platform's
    retention period, and phone numbers past the date their consent promised.

    Relais also does this by itself once a day; this runs it now (e.g. from cron).
    """
    report = run_now()
    for done in report:
        click.echo(f"{done.platform}: {done.help_requests} help requests, "
                   f"{done.wizard_progress} wizard progress, {done.class_visits} class visits, "
                   f"{done.messages} messages, {done.phones} phone numbers")
    if not report:
        click.echo("no platform")


commands = (purge_command,)
