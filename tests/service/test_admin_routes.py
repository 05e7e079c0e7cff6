"""Every admin route, found in the URL map (a new route is covered without editing this file):
teachers, parents and pupils get the 403 page and strangers the 401 page on all of them; an
admin of platform A can neither read nor change anything of platform B on any of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from service import db
from service.db import Base
from service.help import services as help_services
from service.help.services import NewRequest
from service.privacy import audit
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import (
    add_school,
    csrf,
    error_of,
    platform_id,
    register_other,
    signed_in,
    text,
)

# The admin pages of this issue; the others' (relays, events, routing) are covered by the
# audience check below and by their own tenancy tests.
MINE = ("admin.", "privacy.admin", "api_admin.")
B_NAME = "Plateforme B"
B_MARKERS = (B_NAME, "École de B", "detail-of-b", "token-of-b", "b-parent-sub", "Bérénice")


def admin_rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules()
                   if r.rule == "/admin" or r.rule.startswith("/admin/")), key=lambda r: r.rule)


def my_rules(app: Flask) -> list[Rule]:
    return [r for r in admin_rules(app) if r.endpoint.startswith(MINE)]


def test_the_admin_routes_are_found(app: Flask) -> None:
    found = {r.rule for r in my_rules(app)}
    assert {"/admin", "/admin/reglages", "/admin/etablissements",
            "/admin/etablissements/<int:school_id>", "/admin/publics", "/admin/demandes",
            "/admin/journal", "/admin/donnees-personnelles"} <= found


def fill(rule: Rule, ids: dict[str, int]) -> str:
    url = rule.rule
    for name in rule.arguments:
        assert name in ids, f"{rule.rule}: give this argument a value of platform B in ids"
        url = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), url)
    return url


def methods(rule: Rule) -> list[str]:
    return sorted(m for m in (rule.methods or ()) if m in ("GET", "POST"))


# --- audiences ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher", "parent", "learner"])
def test_every_admin_route_is_403_for_other_audiences(app: Flask, launcher: LaunchHelper,
                                                      persona: str) -> None:
    client = signed_in(app, launcher, persona)
    token = csrf(client)
    ids = {name: 1 for rule in admin_rules(app) for name in rule.arguments}
    for rule in admin_rules(app):
        url = fill(rule, ids)
        for method in methods(rule):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert (response.status_code, error_of(response)) == (403, "forbidden"), \
                (method, url)


def test_every_admin_route_needs_a_session(app: Flask) -> None:
    client = https_client(app)
    token = csrf(client)
    ids = {name: 1 for rule in admin_rules(app) for name in rule.arguments}
    for rule in admin_rules(app):
        for method in methods(rule):
            response = client.open(fill(rule, ids), method=method, data={"csrf_token": token})
            assert (response.status_code, error_of(response)) == (401, "session_missing"), \
                (method, rule.rule)


# --- tenancy -----------------------------------------------------------------------------------


def b_has_data(app: Flask, b: int) -> dict[str, int]:
    """Platform B with something in every table the admin pages read or write."""
    school = add_school(app, b, "École de B", contact_name="Bérénice", contact_phone="0472000001")
    with app.test_request_context(), db.transaction() as tx:
        help_services.create_request(tx, NewRequest(
            platform_id=b, origin="ent", topic="bourse", language="fr", channel="callback",
            phone="+33611111111", consent=True, first_name="Bérénice", user_id="b-parent-sub",
            school_id=school.id), now=datetime.now(UTC))
        audit.record(tx, b, "settings_changed", actor_kind="system", detail="detail-of-b")
        from service.admin.models import PlatformSettings

        tx.add(PlatformSettings(platform_id=b, retention_days=45, languages="fr,ar",
                                audience={"audience_param": "espace-b"}))
    ids = {"school_id": school.id}
    try:
        from service.api.tokens import create_token
    except ImportError:
        return ids
    with app.test_request_context(), db.transaction() as tx:
        token, _secret = create_token(tx, b, "token-of-b", who=None)
    ids["token_id"] = token.id
    return ids


def rows_of(app: Flask, b: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to platform B, in every table (the platform row included)."""
    with app.app_context():
        session = db.session()
        found = {}
        for table in Base.metadata.sorted_tables:
            if "platform_id" in table.c:
                query = select(table).where(table.c.platform_id == b)
            elif table.name == "platform":
                query = select(table).where(table.c.id == b)
            else:
                continue
            found[table.name] = sorted((tuple(r) for r in session.execute(query)), key=repr)
        return found


# Whatever a form of these pages reads: each takes what it needs, and all of it names B's things.
EVERYTHING = {
    "name": B_NAME, "retention_days": "7", "languages": ["fr"], "tools": ["pronote"],
    "ent_url": "https://ent.b.example", "pronote_url": "", "ent_app_url": "",
    "educonnect_url": "", "uai": "", "address": "", "postcode": "", "commune": "",
    "latitude": "", "longitude": "", "contact_name": "Quelqu'un", "contact_phone": "",
    "audience_param": "audience", "parent_values": "parents", "ent_profile_claims": "",
    "admin_profiles": "", "teacher_profiles": "", "parent_profiles": "",
    "learner_profiles": "", "user_id": "b-parent-sub", "phone": "0611111111", "code": "",
    "action": "erase", "confirm": "yes", "active": "0",
}


def test_an_admin_of_a_can_neither_read_nor_change_anything_of_b(
        app: Flask, launcher: LaunchHelper, platform: FakePlatform) -> None:
    other = register_other(app, name=B_NAME)
    b = platform_id(app, other)
    ids = b_has_data(app, b)
    before = rows_of(app, b)
    admin = signed_in(app, launcher, "admin")
    token = csrf(admin)

    for rule in my_rules(app):
        url = fill(rule, ids)
        for method in methods(rule):
            data = {**EVERYTHING, "name": f"A renamed by {rule.endpoint}"[:200],
                    "csrf_token": token}
            response = admin.open(url, method=method, data=data)
            body = text(response)
            if rule.arguments:
                # B's object, addressed by its id from A's session: as if it did not exist.
                assert (response.status_code, error_of(response)) == (404, "not_found"), \
                    (method, url)
            else:
                assert response.status_code < 500, (method, url, body[:300])
            leaked = [m for m in B_MARKERS if m in body]
            assert not leaked, (method, url, leaked)

    assert rows_of(app, b) == before


def test_an_admin_of_b_sees_their_own_things(app: Flask, platform: FakePlatform) -> None:
    """The same pages from B's side do show B's data (the test above is not vacuous)."""
    other = register_other(app, name=B_NAME)
    b = platform_id(app, other)
    ids = b_has_data(app, b)
    admin_b = signed_in(app, LaunchHelper(app, other), "admin")
    assert "École de B" in text(admin_b.get("/admin/etablissements"))
    assert admin_b.get(f"/admin/etablissements/{ids['school_id']}").status_code == 200
    assert "detail-of-b" in text(admin_b.get("/admin/journal"))
    assert 'value="45"' in text(admin_b.get("/admin/reglages"))
    assert 'value="espace-b"' in text(admin_b.get("/admin/publics"))


def test_a_platform_removed_takes_its_admin_data_with_it(app: Flask,
                                                         platform: FakePlatform) -> None:
    """Deleting a platform (``relais platform remove``) cascades to every row of the admin
    pages: nothing of it is left behind for another tenant to find."""
    from service.platforms.registry import unregister

    other = register_other(app, name=B_NAME)
    b = platform_id(app, other)
    b_has_data(app, b)
    with app.test_request_context():
        assert unregister(B_NAME)
    assert all(rows == [] for rows in rows_of(app, b).values())


def test_a_token_of_a_reads_nothing_of_b_on_any_api_route(
        app: Flask, launcher: LaunchHelper, platform: FakePlatform) -> None:
    """Every /api/v1 route, with A's token and B's ids: B's objects are 404, B's data never
    appears, and nothing of B changes."""
    from tests.service.test_api import add_event, add_relay, bearer, make_token

    other = register_other(app, name=B_NAME)
    b = platform_id(app, other)
    b_has_data(app, b)
    ids = {"relay_id": add_relay(app, b, "Bérénice, parent ressource", kind="parent_ressource"),
           "event_id": add_event(app, b, "Café de B", datetime.now(UTC))}
    before = rows_of(app, b)
    secret = make_token(app, signed_in(app, launcher, "admin"))
    client = https_client(app)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")]
    assert len(rules) >= 6
    for rule in rules:
        url = fill(rule, ids)
        for method in methods(rule):
            response = client.open(url, method=method, headers=bearer(secret),
                                   query_string={"active": "false"} if "relays" in url else {})
            body = response.get_data(as_text=True)
            if rule.arguments:
                assert (response.status_code, response.get_json()["error"]) == (
                    404, "not_found"), (method, url)
            assert response.status_code < 500, (method, url)
            leaked = [m for m in (*B_MARKERS, "Café de B") if m in body]
            assert not leaked, (method, url, leaked)
    assert rows_of(app, b) == before
