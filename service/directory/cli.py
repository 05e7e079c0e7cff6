"""``relais relays ...``: import the open data, add a relay by hand, list a directory."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from service import db
from service.directory.models import ACCESS_MODES, FEES, KINDS, Relay, split_values
from service.platforms.models import Platform

REPORT_LINES = 20


def _platform(name: str) -> Platform:
    found = db.session().scalar(select(Platform).where(Platform.name == name))
    if found is None:
        raise click.ClickException(f"no platform named {name!r} (see: relais platform list)")
    return found


def _progress(items: list[Any], label: str) -> AbstractContextManager[Iterable[Any]]:
    # On stderr, so that stdout ends with the one summary line scripts can read.
    return click.progressbar(items, label=label.ljust(8), file=sys.stderr)


@click.group("relays")
def relays() -> None:
    """The relay directory of a platform."""


@relays.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every rejected row here (default: the first 20 on screen).")
@with_appcontext
def relays_import(file: Path, platform_name: str, report_path: Path | None) -> None:
    """Import lieux de médiation numérique (CSV or JSON, schema v1.0.2 or v0.1).

    Ends with one line: imported N, updated N, unchanged N, rejected N.
    """
    from service.directory.importer import ImportFailed, import_file

    platform = _platform(platform_name)
    try:
        report = import_file(platform.id, file, progress=_progress)
    except ImportFailed as error:
        raise click.ClickException(str(error)) from error
    lines = [str(r) for r in report.rejections]
    if report_path is not None:
        report_path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        if lines:
            click.echo(f"rejected rows: see {report_path}")
    else:
        for line in lines[:REPORT_LINES]:
            click.echo(f"rejected {line}")
        if len(lines) > REPORT_LINES:
            click.echo(f"... {len(lines) - REPORT_LINES} more (use --report FILE)")
    click.echo(report.summary())


def _split(_ctx: Any, _param: Any, value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(";", ",").split(",") if v.strip()]


@relays.command("add")
@click.option("--platform", "platform_name", required=True)
@click.option("--kind", type=click.Choice(KINDS), default="parent_ressource", show_default=True)
@click.option("--name", required=True)
@click.option("--postcode", required=True)
@click.option("--commune", required=True)
@click.option("--address", default="")
@click.option("--phone", default="")
@click.option("--email", default="", help="A public contact only, never a private address.")
@click.option("--website", default="")
@click.option("--appointment-url", default="")
@click.option("--hours", "opening_hours", default="",
              help="OpenStreetMap syntax, e.g. 'Mo-Fr 09:00-12:00; Sa 10:00-12:00'.")
@click.option("--languages", callback=_split, default="",
              help="Codes of the languages spoken, e.g. 'ar,en'.")
@click.option("--access", callback=_split, default="",
              help=f"How to get in, among {', '.join(ACCESS_MODES)}.")
@click.option("--fees", type=click.Choice(("", *FEES)), default="free", show_default=True)
@click.option("--family/--no-family", default=True, show_default=True,
              help="Helps with parenting and school.")
@click.option("--accessible/--not-accessible", default=False)
@click.option("--latitude", default="")
@click.option("--longitude", default="")
@with_appcontext
def relays_add(platform_name: str, **options: Any) -> None:
    """Add a parent ressource, a médiateur or a place by hand."""
    from service.directory.services import RelayInvalid, create_relay

    platform = _platform(platform_name)
    try:
        # The form's messages are translated; the locale is chosen per request, so give them
        # one (French, the default).
        with current_app.test_request_context():
            relay = create_relay(platform.id, options)
    except RelayInvalid as invalid:
        for name, messages in invalid.errors.items():
            click.echo(f"{name}: {' '.join(messages)}", err=True)
        raise click.ClickException("nothing added") from invalid
    click.echo(f"added relay {relay.id}: {relay.name} ({relay.kind}, {relay.postcode} "
               f"{relay.commune})")
    if relay.latitude is None:
        click.echo("warning: no coordinates (no known place with this postcode or commune yet); "
                   "give --latitude and --longitude so that families nearby find this relay",
                   err=True)


@relays.command("list")
@click.option("--platform", "platform_name", required=True)
@click.option("--kind", type=click.Choice(KINDS), default=None)
@with_appcontext
def relays_list(platform_name: str, kind: str | None) -> None:
    """Every relay of a platform, one a line (tab-separated)."""
    platform = _platform(platform_name)
    query = select(Relay).where(Relay.platform_id == platform.id).order_by(Relay.name, Relay.id)
    if kind:
        query = query.where(Relay.kind == kind)
    for relay in db.session().scalars(query.execution_options(yield_per=1000)):
        state = "active" if relay.active else "disabled"
        click.echo("\t".join((
            str(relay.id), relay.kind, relay.name, f"{relay.postcode} {relay.commune}",
            relay.phone or "-", ",".join(split_values(relay.languages)) or "-", state,
        )))
