"""The ``relais`` command: run, migrate, register platforms, rotate keys."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from service import db
from service.platforms.models import Platform


def _create_app() -> Flask:
    from service import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Relais: help for every parent, embedded in the school platform."""


def init_app(app: Flask) -> None:
    for command in (platform, keys, database, run):
        app.cli.add_command(command)
    from service.events.cli import events
    from service.schools.cli import school, school_link

    for command in (school, school_link, events):
        app.cli.add_command(command)
    from service.directory.cli import relays
    from service.notifications.cli import worker
    from service.relays.cli import relays_link, relays_revoke

    app.cli.add_command(worker)
    for command in (relays_link, relays_revoke):
        relays.add_command(command)


@click.group("platform")
def platform() -> None:
    """Register the school platforms that may launch Relais."""


@platform.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), exactly.")
@click.option("--client-id", required=True)
@click.option("--auth-login-url", required=True, help="The platform's OIDC auth endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth 2 token endpoint.")
@click.option("--jwks-url", required=True, help="The platform's public key set.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True)
@click.option("--adapter", type=click.Choice(["generic", "moodle", "ent"]), default="generic")
@click.option("--name", default=None, help="A short name (default: the issuer).")
@with_appcontext
def platform_add(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    jwks_url: str,
    deployment_ids: tuple[str, ...],
    adapter: str,
    name: str | None,
) -> None:
    """Register a platform (one issuer + client id) and its deployments."""
    from service.platforms.registry import PlatformInput, register

    try:
        saved = register(
            PlatformInput(
                name=name or issuer,
                issuer=issuer,
                client_id=client_id,
                auth_login_url=auth_login_url,
                auth_token_url=auth_token_url,
                jwks_url=jwks_url,
                deployment_ids=deployment_ids,
                adapter=adapter,
            )
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"registered {saved.name} ({saved.issuer}, client {saved.client_id})")


@platform.command("list")
@with_appcontext
def platform_list() -> None:
    """Every registered platform, one a line."""
    for p in db.session().scalars(select(Platform).order_by(Platform.name)):
        deployments = ",".join(d.deployment_id for d in p.deployments)
        click.echo(f"{p.name}\t{p.issuer}\tclient={p.client_id}\tadapter={p.adapter}\t"
                   f"deployments={deployments}")


@platform.command("remove")
@click.argument("name")
@with_appcontext
def platform_remove(name: str) -> None:
    """Remove a platform and everything that belongs to it."""
    from service.platforms.registry import unregister

    if not unregister(name):
        raise click.ClickException(f"no platform named {name!r}")
    click.echo(f"removed {name}")


@click.group("keys")
def keys() -> None:
    """The tool's signing keys."""


@keys.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Activate the published next key, retire the current one, publish a new next key."""
    from service.launch.tool_keys import rotate_keys

    key_set = rotate_keys()
    click.echo(f"signing with {key_set.signing_key().kid}; published: "
               f"{len(key_set.jwks()['keys'])} keys")


@click.group("db")
def database() -> None:
    """The database schema."""


@database.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    from service.migrate import upgrade

    upgrade(current_app)  # type: ignore[arg-type]
    click.echo("database is up to date")


@click.command("run")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--sandbox/--no-sandbox", default=None, help="Also serve the sandbox platform.")
@with_appcontext
def run(host: str, port: int, sandbox: bool | None) -> None:
    """Serve Relais (development server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from service.migrate import upgrade

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade(app)
    if sandbox or (sandbox is None and app.config.get("SANDBOX")):
        from service.sandbox.server import start_sandbox

        start_sandbox(app)
    click.echo(f"Relais: {app.config['BASE_URL']}")
    run_simple(host, port, app, threaded=True, use_reloader=False)
