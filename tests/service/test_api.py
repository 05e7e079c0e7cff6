"""The JSON API: tokens made on the admin page (shown once, hashed, revocable), Bearer auth,
relays, events and statistics of the token's platform only, the OpenAPI document, JSON errors."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.api.models import ApiToken
from service.api.schemas import EventSchema, RelaySchema, RequestStatisticsSchema
from service.directory.models import Relay
from service.events.models import Event
from service.privacy.models import AuditEntry
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import (
    add_school,
    error_of,
    field_errors,
    platform_id,
    post,
    register_other,
    signed_in,
    text,
)
from tests.service.test_security import checked


def make_token(app: Flask, admin: FlaskClient, name: str = "Annuaire de l'ENT") -> str:
    page = post(admin, "/admin/jetons", {"name": name})
    assert page.status_code == 201, text(page)[:500]
    found = re.search(r'id="token-secret">(rls_[A-Za-z0-9_-]+)<', text(page))
    assert found, text(page)
    return found.group(1)


def add_relay(app: Flask, pid: int, name: str, **values: Any) -> int:
    columns: dict[str, Any] = {"kind": "structure", "postcode": "69008", "commune": "Lyon",
                               "commune_key": "lyon", "phone": "+33472000000",
                               "email": "contact@lieu.example", "languages": "|fr|ar|",
                               "access": "|walk_in|", **values}
    with app.app_context(), db.transaction() as tx:
        relay = Relay(platform_id=pid, name=name, latitude=45.7, longitude=4.8, **columns)
        tx.add(relay)
    return relay.id


def add_event(app: Flask, pid: int, title: str, starts: datetime, **values: Any) -> int:
    with app.app_context(), db.transaction() as tx:
        event = Event(platform_id=pid, title=title, kind="cafe_parents", starts_at=starts,
                      ends_at=starts + timedelta(hours=2), place="Salle", languages=["fr"],
                      description="", created_by="test", **values)
        tx.add(event)
    return event.id


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(app: Flask, launcher: LaunchHelper) -> FlaskClient:
    return signed_in(app, launcher, "admin")


@pytest.fixture
def secret(app: Flask, admin: FlaskClient) -> str:
    return make_token(app, admin)


# --- tokens ------------------------------------------------------------------------------------


def test_a_token_is_shown_once_stored_hashed_listed_and_revocable(
        app: Flask, admin: FlaskClient, platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    page = admin.get("/admin/jetons")
    checked(page)
    assert "Aucun jeton" in text(page)

    secret = make_token(app, admin, "Tableau de bord")
    assert len(secret) == 47
    with app.app_context():
        row = db.session().scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret[:10] == row.prefix and row.platform_id == pid
        token_id = row.id
        stored = repr(db.session().execute(select(ApiToken.__table__)).all())
    assert secret not in stored
    listing = admin.get("/admin/jetons")
    checked(listing)
    assert secret not in text(listing) and "Tableau de bord" in text(listing)
    assert f"{secret[:10]}…" in text(listing)

    client = https_client(app)
    assert client.get("/api/v1/relays", headers=bearer(secret)).status_code == 200
    revoked = post(admin, f"/admin/jetons/{token_id}/revoquer")
    assert revoked.status_code == 303
    response = client.get("/api/v1/relays", headers=bearer(secret))
    assert response.status_code == 401 and response.get_json()["error"] == "token_invalid"
    assert "Révoqué le" in text(admin.get("/admin/jetons"))
    # Revoking twice: nothing left to revoke.
    again = post(admin, f"/admin/jetons/{token_id}/revoquer")
    assert (again.status_code, error_of(again)) == (404, "not_found")
    with app.app_context():
        actions = list(db.session().scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["api_token_created", "api_token_revoked"]


@pytest.mark.parametrize("name", ["", "x", "a" * 101, "<b>", "a\x00b"])
def test_a_token_needs_a_plain_name(app: Flask, admin: FlaskClient, name: str) -> None:
    response = post(admin, "/admin/jetons", {"name": name})
    assert response.status_code == 400 and "name" in field_errors(response)
    with app.app_context():
        assert db.session().scalar(select(ApiToken)) is None


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer rls_short",
    "Bearer rls_" + "A" * 43, "bearer " + "x" * 47, "Token rls_" + "A" * 43,
])
def test_calls_without_a_live_token_are_401(app: Flask, secret: str, header: str | None) -> None:
    client = https_client(app)
    response = client.get("/api/v1/relays", headers={"Authorization": header} if header
                          is not None else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"] in ("token_missing", "token_invalid")
    assert "Set-Cookie" not in response.headers


def test_last_use_is_recorded(app: Flask, secret: str) -> None:
    https_client(app).get("/api/v1/events", headers=bearer(secret))
    with app.app_context():
        assert db.session().scalar(select(ApiToken.last_used_at)) is not None


# --- relays, events, statistics, of the token's platform only ----------------------------------


def test_relays_of_the_platform_with_filters_and_pages(
        app: Flask, secret: str, platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    other = platform_id(app, register_other(app))
    place = add_relay(app, pid, "Centre social Mermoz")
    volunteer = add_relay(app, pid, "Fatima, parent ressource", kind="parent_ressource",
                          phone="+33611223344", email="fatima@example.org")
    add_relay(app, pid, "Médiathèque fermée", active=False)
    add_relay(app, pid, "Espace numérique de Villeurbanne", commune="Villeurbanne",
              commune_key="villeurbanne", postcode="69100")
    theirs = add_relay(app, other, "Lieu de l'autre plateforme")
    client = https_client(app)

    everything = client.get("/api/v1/relays", headers=bearer(secret)).get_json()
    names = [r["name"] for r in everything["items"]]
    assert names == ["Centre social Mermoz", "Espace numérique de Villeurbanne",
                     "Fatima, parent ressource"]
    assert everything["total"] == 3
    for item in everything["items"]:
        assert RelaySchema().validate(item) == {}
    person = next(r for r in everything["items"] if r["id"] == volunteer)
    assert person["phone"] is None and person["email"] is None  # a volunteer's own contacts
    assert next(r for r in everything["items"] if r["id"] == place)["languages"] == ["fr", "ar"]

    def names_for(**query: Any) -> list[str]:
        found = client.get("/api/v1/relays", query_string=query, headers=bearer(secret))
        assert found.status_code == 200, found.get_json()
        return [r["name"] for r in found.get_json()["items"]]

    assert names_for(kind="parent_ressource") == ["Fatima, parent ressource"]
    assert names_for(commune="VILLEURBANNE") == ["Espace numérique de Villeurbanne"]
    assert names_for(postcode="69100") == ["Espace numérique de Villeurbanne"]
    assert names_for(active="false") == ["Médiathèque fermée"]
    assert names_for(per_page=1, page=2) == ["Espace numérique de Villeurbanne"]
    assert names_for(per_page=1, page=99) == []

    one = client.get(f"/api/v1/relays/{place}", headers=bearer(secret))
    assert one.status_code == 200 and one.get_json()["name"] == "Centre social Mermoz"
    hidden = client.get(f"/api/v1/relays/{theirs}", headers=bearer(secret))
    assert hidden.status_code == 404 and hidden.get_json()["error"] == "not_found"


def test_events_of_the_platform(app: Flask, secret: str, platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    other = platform_id(app, register_other(app))
    school = add_school(app, pid, "Collège Jean Moulin")
    now = datetime.now(UTC)
    soon = add_event(app, pid, "Café des parents", now + timedelta(days=2))
    add_event(app, pid, "Atelier Pronote", now + timedelta(days=20), school_id=school.id)
    add_event(app, pid, "Réunion de la 6e B", now + timedelta(days=5), class_id="course-6b")
    add_event(app, pid, "Passé", now - timedelta(days=3))
    theirs = add_event(app, other, "L'autre plateforme", now + timedelta(days=1))
    client = https_client(app)

    listing = client.get("/api/v1/events", headers=bearer(secret)).get_json()
    assert [e["title"] for e in listing["items"]] == ["Café des parents", "Réunion de la 6e B",
                                                      "Atelier Pronote"]
    for item in listing["items"]:
        assert EventSchema().validate(item) == {}
    assert listing["items"][1]["class_id"] == "course-6b"
    school_only = client.get("/api/v1/events", headers=bearer(secret),
                             query_string={"school_id": school.id}).get_json()
    assert [e["title"] for e in school_only["items"]] == ["Atelier Pronote"]
    window = client.get("/api/v1/events", headers=bearer(secret), query_string={
        "from": (now - timedelta(days=10)).date().isoformat(),
        "to": (now + timedelta(days=3)).date().isoformat()}).get_json()
    assert [e["title"] for e in window["items"]] == ["Passé", "Café des parents"]
    assert client.get(f"/api/v1/events/{soon}", headers=bearer(secret)).status_code == 200
    assert client.get(f"/api/v1/events/{theirs}", headers=bearer(secret)).status_code == 404


def test_request_statistics_count_without_naming_anyone(
        app: Flask, secret: str, platform: FakePlatform) -> None:
    from tests.service.test_admin import make_requests

    pid = platform_id(app, platform)
    make_requests(app, pid, datetime.now(UTC))
    make_requests(app, platform_id(app, register_other(app)), datetime.now(UTC))
    client = https_client(app)
    stats = client.get("/api/v1/statistics/requests", headers=bearer(secret)).get_json()
    assert RequestStatisticsSchema().validate(stats) == {}
    assert stats["total"] == 3 and stats["by_topic"] == {"bourse": 2, "connect_ent": 1}
    assert stats["by_status"] == {"new": 1, "resolved": 1, "cancelled": 1}
    assert stats["hours_to_first_contact"] == 2.0 and stats["hours_to_resolution"] == 10.0
    assert "Awa" not in str(stats) and "612345678" not in str(stats)
    year = client.get("/api/v1/statistics/requests", headers=bearer(secret), query_string={
        "from": (datetime.now(UTC) - timedelta(days=365)).date().isoformat()}).get_json()
    assert year["total"] == 4


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/api/v1/relays", {"kind": "boulangerie"}, "kind"),
    ("/api/v1/relays", {"page": "0"}, "page"),
    ("/api/v1/relays", {"page": "99999999999999999999"}, "page"),
    ("/api/v1/relays", {"per_page": "1000"}, "per_page"),
    ("/api/v1/relays", {"postcode": "Lyon"}, "postcode"),
    ("/api/v1/relays", {"commune": "Ly\x00on"}, "commune"),
    ("/api/v1/relays", {"active": "maybe"}, "active"),
    ("/api/v1/events", {"from": "9999-12-31"}, "from"),
    ("/api/v1/events", {"from": "2025-02-30"}, "from"),
    ("/api/v1/events", {"from": "2025-03-02", "to": "2025-03-01"}, "to"),
    ("/api/v1/events", {"school_id": "-1"}, "school_id"),
    ("/api/v1/statistics/requests", {"to": "0001-01-01"}, "to"),
    ("/api/v1/statistics/requests", {"school_id": str(2**40)}, "school_id"),
])
def test_a_bad_query_is_a_400_naming_the_parameter(app: Flask, secret: str, path: str,
                                                   query: dict[str, str], field: str) -> None:
    response = https_client(app).get(path, query_string=query, headers=bearer(secret))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_query" and field in body["fields"]


def test_unknown_paths_methods_and_ids_answer_json(app: Flask, secret: str) -> None:
    client = https_client(app)
    for path in ("/api/v1/nope", "/api/v1/relays/99999999999", "/api/v1/relays/abc",
                 "/api/v1/events/0"):
        response = client.get(path, headers=bearer(secret))
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", path
    posted = client.post("/api/v1/relays", headers=bearer(secret))
    assert posted.status_code == 405 and posted.get_json()["error"] == "method_not_allowed"


def test_the_api_is_rate_limited_per_token(app: Flask, secret: str) -> None:
    app.config["API_RATE_LIMIT"] = "3/minute"
    client = https_client(app)
    statuses = [client.get("/api/v1/events", headers=bearer(secret)).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/events", headers=bearer(secret))
    assert limited.get_json()["error"] == "too_many_requests"


# --- the document ------------------------------------------------------------------------------


def test_the_openapi_document_describes_every_route(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "https://relais.example.fr/api/v1"}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = set(document["paths"])
    served = {re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", r.rule)[len("/api/v1"):]
              for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/") and r.endpoint not in
              ("api.openapi_document", "api.elsewhere")}
    assert documented == served
    relays = document["paths"]["/relays"]["get"]
    assert {p["name"] for p in relays["parameters"]} == {
        "page", "per_page", "kind", "postcode", "commune", "active"}
    assert {p["name"] for p in document["paths"]["/events"]["get"]["parameters"]} >= {
        "from", "to", "school_id"}
    for path in document["paths"].values():
        assert path["get"]["security"] == [{"bearer": []}]
        assert "401" in path["get"]["responses"]
