"""``relais events add|list|remove``: events from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError

from service.events import services
from service.events.dates import local
from service.events.schemas import KINDS
from service.schools.cli import describe, in_default_locale, platform_or_fail
from service.schools.services import school_named


@click.group("events")
def events() -> None:
    """Parents' cafés, digital stands, workshops, meetings."""


@events.command("add")
@click.option("--platform", "platform_name", required=True)
@click.option("--title", required=True)
@click.option("--kind", required=True, type=click.Choice(list(KINDS)))
@click.option("--start", required=True, help="ISO date and time; Paris time without offset.")
@click.option("--end", required=True, help="ISO date and time; Paris time without offset.")
@click.option("--school", "school_name", default=None, help="Only this school's families.")
@click.option("--class", "class_id", default=None, help="Only this class (its LTI context id).")
@click.option("--place", default="")
@click.option("--languages", default="fr", show_default=True, help="Spoken there, e.g. fr,ar.")
@click.option("--description", default="")
@with_appcontext
@in_default_locale
def events_add(platform_name: str, title: str, kind: str, start: str, end: str,
               school_name: str | None, class_id: str | None, place: str, languages: str,
               description: str) -> None:
    """Add an event for the whole platform, one school (--school) or one class (--class)."""
    found = platform_or_fail(platform_name)
    school_id = None
    if school_name is not None:
        school = school_named(found.id, school_name)
        if school is None:
            raise click.ClickException(f"no school named {school_name!r} on {platform_name}")
        school_id = school.id
    data = {"title": title, "kind": kind, "starts_at": start, "ends_at": end, "place": place,
            "languages": languages, "description": description, "school_id": school_id,
            "class_id": class_id}
    try:
        event = services.create_event(found.id, data, created_by="cli")
    except ValidationError as error:
        raise click.ClickException(describe(error.messages)) from error
    click.echo(f"added event {event.id}: {event.title}, {local(event.starts_at):%Y-%m-%d %H:%M}")


@events.command("list")
@click.option("--platform", "platform_name", required=True)
@with_appcontext
def events_list(platform_name: str) -> None:
    """Every event of the platform, latest first: id, start (Paris), kind, title, count."""
    found = platform_or_fail(platform_name)
    for e in services.events_of(found.id):
        scope = f"class={e.class_id}" if e.class_id else (
            f"school={e.school_id}" if e.school_id else "platform")
        click.echo(f"{e.id}\t{local(e.starts_at):%Y-%m-%d %H:%M}\t{e.kind}\t{e.title}\t"
                   f"{scope}\tgoing={e.going}")


@events.command("remove")
@click.option("--platform", "platform_name", required=True)
@click.argument("event_id", type=int)
@with_appcontext
def events_remove(platform_name: str, event_id: int) -> None:
    """Remove one of the platform's events."""
    found = platform_or_fail(platform_name)
    if not services.delete_event(found.id, event_id):
        raise click.ClickException(f"no event {event_id} on {platform_name}")
    click.echo(f"removed event {event_id}")
