"""The database: one engine per app, one session and one Core connection per request, Alembic
for the schema.

SQLite (WAL) in the instance folder is the embedded default; ``RELAIS_DATABASE_URL`` points at
PostgreSQL when several instances share the data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Named constraints so that Alembic migrations are stable across SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        return str(url).replace("postgres://", "postgresql+psycopg://", 1).replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    os.makedirs(app.instance_path, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'relais.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; busy_timeout makes concurrent writers
    # wait instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_app(app: Flask) -> None:
    engine = make_engine(database_url(app))
    app.extensions["relais_engine"] = engine
    app.extensions["relais_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["relais_engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = current_app.extensions["relais_sessionmaker"]()
    return g.db  # type: ignore[no-any-return]


def connection() -> Connection:
    """The request's Core connection, for the reads every launch and parent page runs (a
    visit, a class's settings, wizard progress), with statements built once.

    Prebuilt Core statements on one connection cost a fraction of going through an ORM
    ``Session`` (its own checkout, identity map and close). It is for reads: writes go through
    ``transaction()`` or a short connection of their own. Rolled back and closed at teardown.
    """
    if "db_connection" not in g:
        g.db_connection = current_app.extensions["relais_engine"].connect()
    return g.db_connection  # type: ignore[no-any-return]


@contextmanager
def transaction() -> Iterator[Session]:
    """A unit of work: committed whole, or rolled back whole (nothing half written)."""
    db = session()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _close_session(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
    core = g.pop("db_connection", None)
    if core is not None:
        core.close()
