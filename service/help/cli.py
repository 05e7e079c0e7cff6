"""``relais routing ...`` and ``relais requests purge``: the operator's side of the help flow."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import or_, select

from service import db
from service.help import routing, services
from service.help.models import TARGET_RELAY, TARGET_SCHOOL_CONTACT
from service.platforms.models import Platform
from service.schools.models import School


def _platform(name: str) -> Platform:
    found = db.session().scalar(select(Platform).where(Platform.name == name))
    if found is None:
        raise click.ClickException(f"no platform named {name!r}")
    return found


def _school(platform: Platform, key: str) -> School:
    """A school of the platform, by its short link (slug), its name or its id."""
    query = select(School).where(School.platform_id == platform.id)
    match = or_(School.slug == key, School.name == key)
    if key.isdigit():
        match = or_(match, School.id == int(key))
    found = db.session().scalar(query.where(match))
    if found is None:
        raise click.ClickException(f"no school {key!r} on platform {platform.name!r}")
    return found


@click.group("routing")
def routing_group() -> None:
    """Rules that send new help requests to relays or to the school's contact."""


@routing_group.command("add")
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@click.option("--topic", default=None, help="Only requests on this topic (default: any).")
@click.option("--language", default=None, help="Only requests in this language (default: any).")
@click.option("--school", default=None, help="Only requests from this school: slug, name or id.")
@click.option("--relay-id", type=int, default=None, help="Send to this relay.")
@click.option("--school-contact", is_flag=True, help="Send to the school's default contact.")
@click.option("--priority", type=int, default=0, show_default=True,
              help="Breaks ties between equally specific rules (higher wins).")
@with_appcontext
def routing_add(platform_name: str, topic: str | None, language: str | None,
                school: str | None, relay_id: int | None, school_contact: bool,
                priority: int) -> None:
    """Add a rule; the most specific matching rule wins."""
    if (relay_id is None) == (not school_contact):
        raise click.UsageError("give exactly one of --relay-id N or --school-contact")
    platform = _platform(platform_name)
    school_id = _school(platform, school).id if school else None
    try:
        with db.transaction() as tx:
            rule = routing.add_rule(
                tx,
                routing.RuleInput(
                    platform_id=platform.id,
                    target=TARGET_RELAY if relay_id is not None else TARGET_SCHOOL_CONTACT,
                    relay_id=relay_id,
                    topic=topic,
                    language=language,
                    school_id=school_id,
                    priority=priority,
                ),
            )
            rule_id = rule.id
    except routing.RoutingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"added rule {rule_id}")


@routing_group.command("list")
@click.option("--platform", "platform_name", default=None, help="Only this platform.")
@with_appcontext
def routing_list(platform_name: str | None) -> None:
    """Every rule, most specific first, one a line."""
    session = db.session()
    platforms = (
        [_platform(platform_name)]
        if platform_name
        else list(session.scalars(select(Platform).order_by(Platform.name)))
    )
    for platform in platforms:
        for rule in routing.list_rules(session, platform.id):
            school = session.get(School, rule.school_id) if rule.school_id else None
            to = f"relay {rule.relay_id}" if rule.target == TARGET_RELAY else "school contact"
            click.echo(
                f"{rule.id}\t{platform.name}\ttopic={rule.topic or '*'}\t"
                f"language={rule.language or '*'}\tschool={school.slug if school else '*'}\t"
                f"priority={rule.priority}\t-> {to}"
            )


@routing_group.command("remove")
@click.argument("rule_id", type=int)
@click.option("--platform", "platform_name", required=True, help="The platform's name.")
@with_appcontext
def routing_remove(rule_id: int, platform_name: str) -> None:
    """Remove one rule of the platform."""
    platform = _platform(platform_name)
    with db.transaction() as tx:
        if not routing.remove_rule(tx, platform.id, rule_id):
            raise click.ClickException(f"no rule {rule_id} on platform {platform_name!r}")
    click.echo(f"removed rule {rule_id}")


@click.group("requests")
def requests_group() -> None:
    """Parents' help requests."""


@requests_group.command("purge")
@with_appcontext
def requests_purge() -> None:
    """Erase the phone numbers whose retention period is over (run it daily)."""
    with db.transaction() as tx:
        count = services.erase_expired_phones(tx)
    click.echo(f"erased {count} phone numbers")


commands = (routing_group, requests_group)
