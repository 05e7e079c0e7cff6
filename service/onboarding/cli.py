"""``relais wizard set-tools|show-tools``: what a platform uses, so the wizard shows its path.

Until the admin pages exist, this is where an operator says that a platform's parents use
Pronote, the ENT's own app and/or EduConnect. ``PLATFORM_TOOLS`` in the configuration does
the same for several platforms at once; what is set here wins.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service import db
from service.onboarding import services
from service.onboarding.path import TOOLS, format_tools, parse_tools
from service.platforms.models import Platform


def _platform(name: str) -> Platform:
    found = db.session().scalar(select(Platform).where(Platform.name == name))
    if found is None:
        raise click.ClickException(f"no platform named {name!r} (see: relais platform list)")
    return found


@click.group("wizard")
def wizard() -> None:
    """The onboarding wizard ("Prendre en main pas à pas")."""


@wizard.command("set-tools")
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@click.option("--tools", required=True,
              help=f"Comma-separated, among {', '.join(TOOLS)}; '' for the ENT's website only.")
@with_appcontext
def set_tools(platform_name: str, tools: str) -> None:
    """Say what a platform's parents use: the wizard's steps follow."""
    try:
        chosen = parse_tools(tools)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--tools") from error
    platform = _platform(platform_name)
    with db.transaction() as tx:
        services.set_tools(tx, platform.id, chosen)
    click.echo(f"{platform.name}: {format_tools(chosen) or '(website only)'}")


@wizard.command("show-tools")
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@with_appcontext
def show_tools(platform_name: str) -> None:
    """Print what the wizard assumes a platform uses."""
    platform = _platform(platform_name)
    tools = services.tools_for(db.session(), platform.id)
    click.echo(f"{platform.name}: {format_tools(tools) or '(website only)'}")
