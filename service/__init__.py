"""Relais, the Flask application: ``create_app`` wires configuration, database and blueprints."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from service.config import DEFAULTS


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Defaults, then ``RELAIS_*`` environment variables, then ``test_config`` last."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("RELAIS")
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    from service import (
        cli,
        csrf,
        db,
        errors,
        i18n,
        language_switch,
        pictos,
        ratelimit,
        security,
        sessions,
    )
    from service.admin import views as admin_views
    from service.api import admin as api_admin
    from service.api import views as api_views
    from service.directory import views as directory_views
    from service.events import admin as events_admin
    from service.events import views as events_views
    from service.help import views as help_views
    from service.home import views as home_views
    from service.launch import views as launch_views
    from service.onboarding import views as onboarding_views
    from service.parents import views as parents_views
    from service.privacy import views as privacy_views
    from service.registration import views as registration_views
    from service.relays import views as relays_views
    from service.teachers import views as teachers_views
    from service.volunteers import admin as volunteers_admin
    from service.volunteers import views as volunteers_views

    db.init_app(app)
    sessions.init_app(app)
    i18n.init_app(app)
    pictos.init_app(app)
    language_switch.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(launch_views.bp)
    app.register_blueprint(home_views.bp)
    app.register_blueprint(help_views.bp)
    app.register_blueprint(directory_views.bp)
    app.register_blueprint(parents_views.bp)
    app.register_blueprint(onboarding_views.bp)
    app.register_blueprint(events_views.bp)
    app.register_blueprint(events_admin.bp)
    app.register_blueprint(registration_views.bp)
    app.register_blueprint(relays_views.bp)
    app.register_blueprint(teachers_views.bp)
    app.register_blueprint(volunteers_views.bp)
    app.register_blueprint(volunteers_admin.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(privacy_views.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(api_admin.bp)
    cli.init_app(app)
    return app


def _instance_secret(instance: Path) -> str:
    """A secret kept in the instance folder, so a single instance needs no configuration.

    Several instances must share one: set RELAIS_SECRET_KEY.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
