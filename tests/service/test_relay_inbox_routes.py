"""Every inbox route, found in the URL map (a new one is covered without editing this file):
strangers get the 401 page, other audiences the 403 page, and a relay gets the same 404 for a
request routed to someone else, a request of another platform, or no request at all — and
nothing changes."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from service.relays.models import RelayNote
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import platform_id, rows, second_platform
from tests.service.test_relay_inbox_support import (
    add_relay,
    csrf,
    error_of,
    issue,
    new_request,
    relay_client,
    route_to,
)

# What each action may be sent: enough for every form to pass its own validation.
FORM = {"status": "contacted", "body": "Une note.", "to": "aidants_connect", "relay_id": "1"}


def inbox_rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/relais/")),
                  key=lambda r: r.rule)


def methods(rule: Rule) -> list[str]:
    return sorted(m for m in (rule.methods or ()) if m in ("GET", "POST"))


def url(rule: Rule, request_id: int) -> str:
    return re.sub(r"<(?:\w+:)?request_id>", str(request_id), rule.rule)


def session_token(client: FlaskClient) -> str:
    """A CSRF token in the client's session, so each POST is judged on who sends it."""
    with client.session_transaction() as session:
        session["csrf"] = "test-token"
    return "test-token"


def test_the_inbox_routes_are_found(app: Flask) -> None:
    assert {r.rule for r in inbox_rules(app)} >= {
        "/relais/boite", "/relais/boite/<int:request_id>", "/relais/sortir",
        "/relais/boite/<int:request_id>/prendre", "/relais/boite/<int:request_id>/statut",
        "/relais/boite/<int:request_id>/note", "/relais/boite/<int:request_id>/confier",
        "/relais/boite/<int:request_id>/orienter",
    }


def test_every_inbox_route_needs_a_session(app: Flask) -> None:
    client = https_client(app)
    token = session_token(client)
    for rule in inbox_rules(app):
        for method in methods(rule):
            response = client.open(url(rule, 1), method=method, data={"csrf_token": token})
            assert (response.status_code, error_of(response)) == (401, "session_missing"), \
                (method, rule.rule)


@pytest.mark.parametrize("persona", ["parent", "teacher", "admin", "learner"])
def test_every_inbox_route_is_403_for_other_audiences(app: Flask, launcher: LaunchHelper,
                                                      persona: str) -> None:
    client = https_client(app)
    launcher.as_(client, persona)
    token = session_token(client)
    for rule in inbox_rules(app):
        for method in methods(rule):
            response = client.open(url(rule, 1), method=method, data={"csrf_token": token})
            assert (response.status_code, error_of(response)) == (403, "forbidden"), \
                (persona, method, rule.rule)


def _snapshot(app: Flask) -> list[tuple[str, dict]]:
    """Every row that matters to a request, without the access links' last use."""
    return [(table, row) for table, row in rows(app)
            if table in ("help_request", "help_request_event", "help_assignment", "relay_note",
                         "outbox_message")]


def test_a_relay_reaches_only_the_requests_routed_to_them(app: Flask,
                                                          platform: FakePlatform) -> None:
    a = platform_id(app, platform)
    b = platform_id(app, second_platform(app))
    me, colleague = add_relay(app, a, "Moi"), add_relay(app, a, "Collègue")
    stranger = add_relay(app, b, "Relais B")
    route_to(app, a, colleague)
    route_to(app, b, stranger)
    issue(app, a, colleague)  # could be handed requests: must not change what I reach
    others, _ = new_request(app, a, first_name="Colette")
    foreign, _ = new_request(app, b, first_name="Bérénice")
    client: FlaskClient = relay_client(app, issue(app, a, me))
    token = csrf(client)
    before = _snapshot(app)
    request_rules = [r for r in inbox_rules(app) if "request_id" in r.arguments]
    assert len(request_rules) >= 6
    for request_id in (others, foreign, 999_999):
        for rule in request_rules:
            for method in methods(rule):
                data = {"csrf_token": token, **FORM, "relay_id": str(colleague)}
                response = client.open(url(rule, request_id), method=method, data=data)
                assert (response.status_code, error_of(response)) == (404, "not_found"), \
                    (request_id, method, rule.rule)
                body = response.get_data(as_text=True)
                assert "Colette" not in body and "Bérénice" not in body
    listing = client.get("/relais/boite").get_data(as_text=True)
    assert "Colette" not in listing and "Bérénice" not in listing
    assert _snapshot(app) == before
    with app.app_context():
        from service import db

        assert db.session().query(RelayNote).count() == 0


def test_the_relay_reaches_their_own_request_on_every_route(app: Flask,
                                                            platform: FakePlatform) -> None:
    a = platform_id(app, platform)
    me = add_relay(app, a, "Moi")
    route_to(app, a, me)
    mine, _ = new_request(app, a)
    client = relay_client(app, issue(app, a, me))
    token = csrf(client)
    for rule in inbox_rules(app):
        if "request_id" not in rule.arguments or rule.endpoint == "relays.hand_over":
            continue  # handing over needs a colleague: see test_relay_inbox
        for method in methods(rule):
            response = client.open(url(rule, mine), method=method,
                                   data={"csrf_token": token, **FORM})
            assert response.status_code in (200, 303), (method, rule.rule, response.status_code)
