"""``relais school add|list`` and ``relais school-link``: schools and the short link + QR code
of their public help page, for the flyer."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import segno
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from marshmallow import ValidationError

from service.platforms.models import Platform
from service.schools.models import School
from service.schools.services import create_school, platform_named, public_link, schools_of

F = TypeVar("F", bound=Callable[..., Any])


def platform_or_fail(name: str) -> Platform:
    found = platform_named(name)
    if found is None:
        raise click.ClickException(f"no platform named {name!r} (see: relais platform list)")
    return found


def in_default_locale(command: F) -> F:
    """Run a command in the app's default language: validation messages are translated
    strings, and the app's locale selector needs a request, which a command has not."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale(str(current_app.config.get("BABEL_DEFAULT_LOCALE", "fr"))):
            return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def describe(messages: Any) -> str:
    """marshmallow's messages as one readable line: ``field: message; field: message``."""
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {describe(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return " ".join(describe(m) for m in messages)
    return str(messages)


@click.group("school")
def school() -> None:
    """The schools of a platform, each with its public help page."""


@school.command("add")
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@click.option("--name", required=True, help='The school\'s name, e.g. "Collège Jean Moulin".')
@click.option("--uai", default=None, help="The national school id (7 digits and a letter).")
@click.option("--address", default="")
@click.option("--postcode", default="")
@click.option("--commune", default="")
@click.option("--lat", "latitude", default=None, help="Latitude (WGS 84), with --lon.")
@click.option("--lon", "longitude", default=None, help="Longitude (WGS 84), with --lat.")
@click.option("--contact-name", default="", help="Who families are routed to by default.")
@click.option("--contact-phone", default="")
@with_appcontext
@in_default_locale
def school_add(platform_name: str, **data: Any) -> None:
    """Add a school; it gets a short link (/e/<slug>) for its public help page."""
    found = platform_or_fail(platform_name)
    try:
        created = create_school(found.id, {k: v for k, v in data.items() if v is not None})
    except ValidationError as error:
        raise click.ClickException(describe(error.messages)) from error
    click.echo(f"added {created.name}: {public_link(created)}")


@school.command("list")
@click.option("--platform", "platform_name", required=True)
@with_appcontext
def school_list(platform_name: str) -> None:
    """The platform's schools, one a line: name, short link, commune."""
    found = platform_or_fail(platform_name)
    for s in schools_of(found.id):
        click.echo(f"{s.name}\t{public_link(s)}\t{s.postcode} {s.commune}".rstrip())


@click.command("school-link")
@click.option("--platform", "platform_name", required=True)
@click.option("--school", "school_name", default=None, help="Only this school (default: all).")
@click.option("--svg", "svg", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the QR code as SVG (with several schools, one file each: "
                   "qr.svg becomes qr-<slug>.svg).")
@with_appcontext
def school_link(platform_name: str, school_name: str | None, svg: Path | None) -> None:
    """Print each school's short link and its QR code, for the flyer."""
    found = platform_or_fail(platform_name)
    schools = schools_of(found.id)
    if school_name is not None:
        schools = [s for s in schools if s.name == school_name]
        if not schools:
            raise click.ClickException(f"no school named {school_name!r} on {platform_name}")
    if not schools:
        raise click.ClickException(f"{platform_name} has no school yet (see: relais school add)")
    for s in schools:
        _print_link(s, svg if svg is None or len(schools) == 1 else
                    svg.with_name(f"{svg.stem}-{s.slug}{svg.suffix or '.svg'}"))


def qr_code(link: str) -> segno.QRCode:
    # Level M survives a crease or a smudge on a printed flyer; a short link keeps it small.
    return segno.make(link, error="m", micro=False)


def _print_link(s: School, svg: Path | None) -> None:
    link = public_link(s)
    click.echo(f"{s.name}\n{link}")
    qr = qr_code(link)
    qr.terminal(out=sys.stdout, compact=True)
    if svg is not None:
        qr.save(str(svg), kind="svg", scale=8, border=4, title=f"{s.name} : {link}")
        click.echo(f"saved {svg}")
    click.echo("")
