"""Helpers shared by the help-request tests (no tests here): schools, forms with their CSRF
token, a second platform, and a look at every table of the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from service import db
from service.db import Base
from service.platforms.models import Platform
from service.schools.models import School
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform

PHONE = "06 12 34 56 78"
PHONE_E164 = "+33612345678"
PHONE_DIGITS = "612345678"  # what every written form of the number has in common

VALID: dict[str, Any] = {
    "phone": PHONE,
    "moments": ["morning", "evening"],
    "language": "fr",
    "topic": "forgot_password",
    "first_name": "Samira",
    "message": "Je n'arrive pas à me connecter.",
    "consent": "yes",
}


def platform_id(app: Flask, fake: FakePlatform) -> int:
    with app.app_context():
        found = db.session().scalar(select(Platform.id).where(Platform.issuer == fake.issuer))
        assert found is not None
        return found


def second_platform(app: Flask) -> FakePlatform:
    fake = FakePlatform(issuer="https://ent-b.example.fr", client_id="relais-b", key_name="b")
    LaunchHelper(app).register(fake, adapter="generic")
    return fake


def make_school(app: Flask, platform: int, slug: str, *, contact: str = "") -> int:
    with app.app_context(), db.transaction() as tx:
        school = School(platform_id=platform, name=f"Collège {slug}", slug=slug,
                        contact_name=contact, contact_phone="")
        tx.add(school)
        tx.flush()
        return school.id


def csrf_of(response: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def submit(client: FlaskClient, url: str, fields: dict[str, Any]) -> TestResponse:
    """GET the form (for its token), then POST ``fields`` as a browser without JS would."""
    token = csrf_of(client.get(url))
    return client.post(url, data={"csrf_token": token, **fields})


def rows(app: Flask) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every row of every table, as (table, {column: value})."""
    engine = app.extensions["relais_engine"]
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                yield table.name, dict(row._mapping)


def cells_with(app: Flask, needle: str) -> list[str]:
    """Where ``needle`` appears in the database (spaces and dots ignored), as table.column."""
    found = []
    for table, row in rows(app):
        for column, value in row.items():
            text = re.sub(r"[\s.\-]", "", str(value)) if value is not None else ""
            if needle in text:
                found.append(f"{table}.{column}")
    return found


def count(app: Flask, table: str) -> int:
    return sum(1 for name, _ in rows(app) if name == table)


class Page(HTMLParser):
    """What the tests read in a page: ids, the body's attributes, and which ids describe what."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.body: dict[str, str | None] = {}
        self.described: dict[str, str] = {}
        self.scripts = 0
        self.h1 = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
            if found.get("aria-describedby"):
                self.described[str(found["id"])] = str(found["aria-describedby"])
        if tag == "body":
            self.body = found
        self.scripts += tag == "script"
        self.h1 += tag == "h1"


def page(response: TestResponse) -> Page:
    parsed = Page(response.get_data(as_text=True))
    assert parsed.h1 == 1
    assert len(parsed.ids) == len(set(parsed.ids)), "ids are unique"
    return parsed


def make_relays(app: Flask, platform: int, n: int, *, active: bool = True) -> list[int]:
    """``n`` relays of the platform's directory; their ids, in order."""
    from service.directory.models import Relay

    with app.app_context(), db.transaction() as tx:
        made = [Relay(platform_id=platform, kind="mediateur", name=f"Relais {i}", active=active)
                for i in range(n)]
        tx.add_all(made)
        tx.flush()
        return [r.id for r in made]
