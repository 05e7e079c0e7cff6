"""Helpers shared by the volunteers' tests (no tests here): clients for each audience, a relay
signed in with their link, forms' CSRF tokens, and every cell of the database."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from service import db
from service.db import Base
from service.directory.models import Relay
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.service.test_help_support import platform_id
from tests.service.test_security import checked

__all__ = ["checked", "platform_id"]


def text(response: TestResponse) -> str:
    """The page as a reader sees its words (entities decoded)."""
    return unescape(response.get_data(as_text=True))


def error_of(response: TestResponse) -> str | None:
    found = re.search(r'data-error="([^"]+)"', text(response))
    return found.group(1) if found else None


def csrf(client: FlaskClient, url: str | None = None) -> str:
    """The session's CSRF token: read from a form of ``url``, or set in the session."""
    if url is None:
        with client.session_transaction() as session:
            session.setdefault("csrf", "test-csrf-token")
            return str(session["csrf"])
    found = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(url).get_data(as_text=True))
    assert found, f"{url} has a form"
    return found.group(1)


def signed_in(app: Flask, launcher: LaunchHelper, persona: str, **claims: Any) -> FlaskClient:
    client = https_client(app)
    launcher.as_(client, persona, **claims)
    return client


def add_relay(app: Flask, pid: int, name: str = "Yasmina Relais", **columns: Any) -> int:
    with app.app_context(), db.transaction() as tx:
        relay = Relay(platform_id=pid, kind=columns.pop("kind", "mediateur"), name=name,
                      **columns)
        tx.add(relay)
        tx.flush()
        return relay.id


def relay_link(app: Flask, pid: int, relay_id: int) -> str:
    access = pytest.importorskip("service.relays.access")
    with app.app_context(), db.transaction() as tx:
        token, _row = access.issue_link(tx, pid, relay_id, lasts=timedelta(days=30))
        return str(token)


def relay_client(app: Flask, pid: int, relay_id: int | None = None) -> FlaskClient:
    """A browser signed in as a relay of ``pid`` through their personal link."""
    relay_id = relay_id or add_relay(app, pid)
    client = https_client(app)
    response = client.get(f"/r/{relay_link(app, pid, relay_id)}")
    assert response.status_code == 303, text(response)[:300]
    return client


def all_cells(app: Flask) -> dict[str, list[tuple[str, Any]]]:
    """Every non-empty cell of every table, as (column, value) by table."""
    found: dict[str, list[tuple[str, Any]]] = {}
    with app.app_context():
        session = db.session()
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                found.setdefault(table.name, []).extend(
                    (column.name, value) for column, value in zip(table.c, row, strict=True)
                    if value not in (None, "", b""))
    return found


def cells_mentioning(app: Flask, *needles: str) -> list[tuple[str, str, Any]]:
    """Every cell, in any table, whose text holds one of ``needles`` (case-insensitive)."""
    lowered = [n.lower() for n in needles]
    return [(table, column, value)
            for table, cells in all_cells(app).items() for column, value in cells
            if any(n in str(value).lower() for n in lowered)]

