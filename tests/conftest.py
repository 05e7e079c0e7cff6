"""Fixtures shared by every service test: an app on SQLite or PostgreSQL, clients, and a
platform that performs real OIDC logins and signs fresh id_tokens.

``RELAIS_TEST_DATABASE_URL`` selects PostgreSQL; otherwise each session gets its own SQLite
file. The schema is built by the real Alembic migrations, once per session; each test starts
from empty tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from service import create_app
from service.db import Base
from service.migrate import upgrade
from tests.helpers import FakeHttp, LaunchHelper
from tests.lti.platform import TOOL_BASE_URL, FakePlatform

PG_URL = os.environ.get("RELAIS_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in a temp folder, or a fresh PostgreSQL database created on the server that
    ``RELAIS_TEST_DATABASE_URL`` names, and dropped at the end: concurrent runs (and tables
    left by other branches) never meet."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'relais.sqlite3'}"
        return
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"{server.database or 'test'}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url: str, instance: str, **config: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "BASE_URL": TOOL_BASE_URL,
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            **config,
        }
    )


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    app = make_app(database_url, str(tmp_path_factory.mktemp("instance")))
    engine = app.extensions["relais_engine"]
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(app)
    engine.dispose()
    return database_url


def _empty_tables(app: Flask) -> None:
    engine = app.extensions["relais_engine"]
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(_schema: str, tmp_path: Any) -> Iterator[Flask]:
    app = make_app(_schema, str(tmp_path))
    _empty_tables(app)
    app.extensions["relais_http"] = FakeHttp()
    yield app
    app.extensions["relais_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return https_client(app)


def https_client(app: Flask) -> FlaskClient:
    """A browser on the tool's https origin (secure, partitioned cookies come back)."""
    c = app.test_client()
    c.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "relais.example.fr"})
    return c


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def platform(app: Flask) -> FakePlatform:
    """A generic-adapter platform, registered and serving its key set."""
    fake = FakePlatform()
    LaunchHelper(app).register(fake, adapter="generic")
    return fake


@pytest.fixture
def launcher(app: Flask, platform: FakePlatform) -> LaunchHelper:
    return LaunchHelper(app, platform)
