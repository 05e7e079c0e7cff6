"""``relais registration-link``: a one-time link for a platform's admin to paste."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from service.registration import links


@click.command("registration-link")
@click.option("--expires", default="24h", show_default=True,
              help="How long the link works: 90s, 30m, 24h, 7d (at most 30 days).")
@with_appcontext
def registration_link(expires: str) -> None:
    """Print a one-time dynamic registration link (shown once: it is stored hashed).

    The platform's admin pastes it where the platform registers an LTI 1.3 tool (Moodle 4.x:
    Site administration > Plugins > External tool > Manage tools > "Tool URL").
    """
    try:
        seconds = links.parse_duration(expires)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--expires") from error
    token, expires_at = links.create_link(seconds)
    until = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    click.echo(links.link_url(token))
    click.echo(f"One use, until {until}. It is not stored: copy it now.")


commands = (registration_link,)
