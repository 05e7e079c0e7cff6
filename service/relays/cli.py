"""``relais relays link`` and ``relais relays revoke``: a relay's personal link, made and
taken back from the command line (the admin page does the same)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from service import db
from service.platforms.models import Platform
from service.relays import access
from service.relays.models import as_utc
from service.schools.services import platform_named


def _platform(name: str) -> Platform:
    found = platform_named(name)
    if found is None:
        raise click.ClickException(f"no platform named {name!r} (see: relais platform list)")
    return found


@click.command("link")
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@click.option("--relay-id", type=int, required=True, help="The relay (see: relais relays list).")
@click.option("--expires", default="90d", show_default=True,
              help="How long the link works: 12h, 90d, 2w... (at most a year).")
@with_appcontext
def relays_link(platform_name: str, relay_id: int, expires: str) -> None:
    """Make a relay's personal link (the previous one stops working). It is printed once:
    give it to the relay; it signs them in to their inbox, no password needed."""
    platform = _platform(platform_name)
    try:
        lasts = access.parse_duration(expires)
        with db.transaction() as tx:
            token, row = access.issue_link(tx, platform.id, relay_id, lasts=lasts)
            until = as_utc(row.expires_at).strftime("%Y-%m-%d %H:%M UTC")
    except access.AccessError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"link for relay {relay_id}, valid until {until} (shown once, keep it private):")
    click.echo(access.link_url(token))


@click.command("revoke")
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@click.option("--relay-id", type=int, required=True)
@with_appcontext
def relays_revoke(platform_name: str, relay_id: int) -> None:
    """Take back every link of a relay (personal, and those sent in emails); a relay signed
    in is signed out on their next page."""
    platform = _platform(platform_name)
    with db.transaction() as tx:
        if access.relay_of(tx, platform.id, relay_id) is None:
            raise click.ClickException(f"no relay {relay_id} on platform {platform_name!r}")
        count = access.revoke(tx, platform.id, relay_id)
    click.echo(f"revoked {count} links of relay {relay_id}")


commands = (relays_link, relays_revoke)
