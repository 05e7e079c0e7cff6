"""Relays' access and inbox: a personal link (shown once, stored hashed, with an expiry,
revocable, re-issuable) signs a relay in; the inbox shows only the requests routed to them,
with the least personal data; taking, noting, status, handing over and referring all leave
their line in the request's trail, and the parent sees the status, never a note."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.help.models import HelpAssignment, HelpRequestEvent
from service.relays.models import RelayAccess, RelayNote
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import (
    PHONE_DIGITS,
    cells_with,
    page,
    platform_id,
    second_platform,
)
from tests.service.test_relay_inbox_support import (
    add_relay,
    csrf,
    error_of,
    issue,
    new_request,
    relay_client,
    request_row,
    route_to,
    text,
)


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


def trail(app: Flask, request_id: int) -> list[tuple]:
    with app.app_context():
        return [(e.kind, e.actor_kind, e.relay_id, e.target, e.to_status)
                for e in db.session().scalars(
                    select(HelpRequestEvent).where(HelpRequestEvent.request_id == request_id)
                    .order_by(HelpRequestEvent.id))]


# --- the link --------------------------------------------------------------------------------


def test_the_cli_prints_a_link_once_and_keeps_only_its_hash(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid)
    result = app.test_cli_runner().invoke(
        args=["relays", "link", "--platform", _platform_name(app, pid),
              "--relay-id", str(relay), "--expires", "30d"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("https://relais.example.fr/r/")
    token = url.rsplit("/", 1)[1]
    with app.app_context():
        row = db.session().scalar(select(RelayAccess))
        assert row is not None and row.kind == "personal"
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        expires = row.expires_at.replace(tzinfo=UTC)
        assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert cells_with(app, token) == []  # the token itself is nowhere in the database
    client = https_client(app)
    response = client.get(f"/r/{token}", follow_redirects=True)
    assert response.status_code == 200
    assert page(response).body.get("data-audience") == "relay"


def _platform_name(app: Flask, pid: int) -> str:
    from service.platforms.models import Platform

    with app.app_context():
        return db.session().get(Platform, pid).name


def test_the_cli_refuses_bad_input(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid)
    name = _platform_name(app, pid)
    runner = app.test_cli_runner()
    for args, message in [
        (["--relay-id", str(relay), "--expires", "forever"], "90d"),
        (["--relay-id", str(relay), "--expires", "0h"], "between"),
        (["--relay-id", str(relay), "--expires", "999w"], "between"),
        (["--relay-id", "999999"], "no relay"),
    ]:
        result = runner.invoke(args=["relays", "link", "--platform", name, *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    result = runner.invoke(args=["relays", "link", "--platform", "nope", "--relay-id", "1"])
    assert result.exit_code != 0 and "no platform" in result.output
    result = runner.invoke(args=["relays", "revoke", "--platform", name, "--relay-id", "999999"])
    assert result.exit_code != 0 and "no relay" in result.output


def test_revoke_from_the_cli_ends_the_links_and_the_session(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid)
    token = issue(app, pid, relay)
    client = relay_client(app, token)
    assert client.get("/relais/boite").status_code == 200
    result = app.test_cli_runner().invoke(
        args=["relays", "revoke", "--platform", _platform_name(app, pid),
              "--relay-id", str(relay)])
    assert result.exit_code == 0 and "revoked 1 links" in result.output
    response = client.get("/relais/boite")
    assert (response.status_code, error_of(response)) == (401, "relay_access_ended")
    response = https_client(app).get(f"/r/{token}")
    assert (response.status_code, error_of(response)) == (404, "relay_link_invalid")


def test_an_expired_link_opens_nothing(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid)
    token = issue(app, pid, relay, lasts=timedelta(hours=1))
    client = relay_client(app, token)
    with app.app_context(), db.transaction() as tx:
        row = tx.scalar(select(RelayAccess))
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    response = https_client(app).get(f"/r/{token}")
    assert (response.status_code, error_of(response)) == (404, "relay_link_invalid")
    response = client.get("/relais/boite")  # already signed in: signed out now
    assert (response.status_code, error_of(response)) == (401, "relay_access_ended")


def test_a_new_link_replaces_the_old_one(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid)
    old = issue(app, pid, relay)
    new = issue(app, pid, relay)
    assert https_client(app).get(f"/r/{old}").status_code == 404
    relay_client(app, new)


@pytest.mark.parametrize("token", ["", "x", "a" * 43, "a" * 42 + "!", "../../admin", "a" * 500])
def test_unknown_and_malformed_links_get_the_same_answer(app: Flask, pid: int,
                                                         token: str) -> None:
    add_relay(app, pid)
    response = https_client(app).get(f"/r/{token}")
    if not token or "/" in token:
        assert response.status_code == 404
        return
    assert (response.status_code, error_of(response)) == (404, "relay_link_invalid")


def test_a_link_of_platform_a_opens_nothing_of_platform_b(app: Flask, pid: int) -> None:
    b = platform_id(app, second_platform(app))
    relay_a, relay_b = add_relay(app, pid, "Relais A"), add_relay(app, b, "Relais B")
    route_to(app, pid, relay_a)
    route_to(app, b, relay_b)
    mine, _ = new_request(app, pid, first_name="Aline")
    theirs, _ = new_request(app, b, first_name="Bérénice")
    # Even an assignment that names relay A on platform B's side must not leak.
    with app.app_context(), db.transaction() as tx:
        tx.add(HelpAssignment(request_id=theirs, platform_id=b, target="relay",
                              relay_id=relay_a))
    client = relay_client(app, issue(app, pid, relay_a))
    listing = text(client.get("/relais/boite"))
    assert "Aline" in listing and "Bérénice" not in listing
    assert client.get(f"/relais/boite/{mine}").status_code == 200
    response = client.get(f"/relais/boite/{theirs}")
    assert (response.status_code, error_of(response)) == (404, "not_found")
    # The token of a relay of B, used by A's session: nothing of B either way.
    b_client = relay_client(app, issue(app, b, relay_b))
    assert "Aline" not in text(b_client.get("/relais/boite"))
    assert b_client.get(f"/relais/boite/{mine}").status_code == 404


def test_a_session_cannot_be_stretched_to_another_relay(app: Flask, pid: int) -> None:
    one, two = add_relay(app, pid, "Un"), add_relay(app, pid, "Deux")
    route_to(app, pid, two)
    theirs, _ = new_request(app, pid)
    client = relay_client(app, issue(app, pid, one))
    with client.session_transaction() as session:
        session["relay"] = {**session["relay"], "relay_id": two}
    response = client.get(f"/relais/boite/{theirs}")
    assert (response.status_code, error_of(response)) == (401, "relay_access_ended")


def test_other_audiences_cannot_open_the_inbox(app: Flask, pid: int,
                                               launcher: LaunchHelper) -> None:
    client = https_client(app)
    response = client.get("/relais/boite")
    assert (response.status_code, error_of(response)) == (401, "session_missing")
    launcher.as_(client, "parent")
    response = client.get("/relais/boite")
    assert (response.status_code, error_of(response)) == (403, "forbidden")


# --- the inbox ---------------------------------------------------------------------------------


@pytest.fixture
def routed(app: Flask, pid: int) -> tuple[int, int, FlaskClient]:
    """A relay with a link, one request routed to them; (relay id, request id, their browser)."""
    relay = add_relay(app, pid, "Samira Haddad")
    route_to(app, pid, relay)
    request_id, _code = new_request(app, pid, step="install-android-pronote", device="android")
    return relay, request_id, relay_client(app, issue(app, pid, relay))


def test_the_inbox_shows_the_least_that_lets_a_relay_help(
    app: Flask, pid: int, routed: tuple[int, int, FlaskClient]
) -> None:
    relay, request_id, client = routed
    other = add_relay(app, pid, "Quelqu'un d'autre")
    route_to(app, pid, other, topic="bourse")
    not_mine, _ = new_request(app, pid, topic="bourse", first_name="Zoé")
    listing = client.get("/relais/boite")
    assert listing.status_code == 200
    body = text(listing)
    page(listing)
    assert "Samira" in body and "Mot de passe ou codes oubliés" in body
    assert "Zoé" not in body and f"/relais/boite/{not_mine}" not in body
    assert "jamais à sa place" in body  # with the parent, never for them
    assert PHONE_DIGITS not in re.sub(r"\D", "", body)  # no number in the list
    detail = client.get(f"/relais/boite/{request_id}")
    body = text(detail)
    assert detail.status_code == 200
    page(detail)
    for shown in ("Samira", "Français", "Le matin", "Mot de passe ou codes oubliés",
                  "Je n&#39;arrive pas à me connecter", "Aidants Connect", "France Services"):
        assert shown in body, shown
    assert "Installer l&#39;application Pronote" in body or "install-android-pronote" in body
    # The number only once the relay takes the request.
    assert PHONE_DIGITS not in re.sub(r"\D", "", body)


def test_taking_a_request_shows_the_number_and_removes_it_from_the_others(
    app: Flask, pid: int
) -> None:
    one, two = add_relay(app, pid, "Un"), add_relay(app, pid, "Deux")
    route_to(app, pid, one)
    route_to(app, pid, two)  # equally specific: the request goes to both
    request_id, _ = new_request(app, pid)
    first = relay_client(app, issue(app, pid, one))
    second = relay_client(app, issue(app, pid, two))
    assert f"/relais/boite/{request_id}" in text(second.get("/relais/boite"))
    token = csrf(first)
    response = first.post(f"/relais/boite/{request_id}/prendre", data={"csrf_token": token})
    assert response.status_code == 303
    body = text(first.get(response.headers["Location"]))
    assert "06 12 34 56 78" in body and 'href="tel:+33612345678"' in body
    assert f"/relais/boite/{request_id}" not in text(second.get("/relais/boite"))
    assert second.get(f"/relais/boite/{request_id}").status_code == 404
    assert ("taken", "relay", one, None, None) in trail(app, request_id)
    assert ("unassigned", "relay", two, "relay", None) in trail(app, request_id)


def test_the_status_a_relay_sets_is_what_the_parent_reads(
    app: Flask, pid: int, routed: tuple[int, int, FlaskClient]
) -> None:
    relay, request_id, client = routed
    code = request_row(app, request_id).code
    token = csrf(client)
    response = client.post(f"/relais/boite/{request_id}/statut",
                           data={"csrf_token": token, "status": "contacted"})
    assert response.status_code == 303
    assert request_row(app, request_id).status == "contacted"
    assert ("status", "relay", None, None, "contacted") in trail(app, request_id)
    assert ("taken", "relay", relay, None, None) in trail(app, request_id)  # taken on the way
    parent = https_client(app)
    status_page = text(parent.get(f"/demande/{code}"))
    assert re.search(r'aria-current="step">Quelqu(\'|&#39;)un va vous contacter<', status_page)
    # Then done; and a move the lifecycle forbids is refused with a message, nothing changed.
    client.post(f"/relais/boite/{request_id}/statut",
                data={"csrf_token": token, "status": "resolved"})
    assert request_row(app, request_id).status == "resolved"
    response = client.post(f"/relais/boite/{request_id}/statut",
                           data={"csrf_token": token, "status": "contacted"})
    assert (response.status_code, error_of(response)) == (400, "form_invalid")
    assert request_row(app, request_id).status == "resolved"
    assert 'aria-current="step">Terminé<' in text(parent.get(f"/demande/{code}"))


@pytest.mark.parametrize("status", ["", "cancelled", "new", "nope", "<b>"])
def test_a_relay_cannot_set_any_other_status(
    app: Flask, routed: tuple[int, int, FlaskClient], status: str
) -> None:
    _relay, request_id, client = routed
    response = client.post(f"/relais/boite/{request_id}/statut",
                           data={"csrf_token": csrf(client), "status": status})
    assert (response.status_code, error_of(response)) == (400, "form_invalid")
    assert 'id="error-status"' in text(response)
    assert request_row(app, request_id).status == "new"


def test_notes_are_private_to_relays(app: Flask, routed: tuple[int, int, FlaskClient]) -> None:
    _relay, request_id, client = routed
    code = request_row(app, request_id).code
    response = client.post(f"/relais/boite/{request_id}/note",
                           data={"csrf_token": csrf(client), "body": "Rappeler mardi soir."})
    assert response.status_code == 303
    assert "Rappeler mardi soir." in text(client.get(f"/relais/boite/{request_id}"))
    assert "Rappeler mardi soir." not in text(https_client(app).get(f"/demande/{code}"))
    assert cells_with(app, "Rappelermardisoir") == ["relay_note.body"]  # not in the trail


@pytest.mark.parametrize("body, message", [
    ("", "Écrivez la note."),
    ("x" * 501, "500 caractères au plus"),
    ("<script>alert(1)</script>", "sans balises"),
])
def test_a_bad_note_is_refused_next_to_its_field(
    app: Flask, routed: tuple[int, int, FlaskClient], body: str, message: str
) -> None:
    _relay, request_id, client = routed
    response = client.post(f"/relais/boite/{request_id}/note",
                           data={"csrf_token": csrf(client), "body": body})
    assert (response.status_code, error_of(response)) == (400, "form_invalid")
    shown = text(response)
    assert 'id="error-body"' in shown and message in shown
    assert "<script>alert" not in shown
    with app.app_context():
        assert db.session().scalar(select(RelayNote)) is None


def test_handing_over_moves_the_request_to_another_relay(
    app: Flask, pid: int, routed: tuple[int, int, FlaskClient]
) -> None:
    relay, request_id, client = routed
    other = add_relay(app, pid, "Karim Benali")
    no_link = add_relay(app, pid, "Sans lien")
    b = platform_id(app, second_platform(app))
    foreign = add_relay(app, b, "Relais B")
    issue(app, b, foreign)
    other_client = relay_client(app, issue(app, pid, other))
    detail = text(client.get(f"/relais/boite/{request_id}"))
    assert "Karim Benali" in detail
    assert "Sans lien" not in detail and "Relais B" not in detail
    token = csrf(client)
    for refused in (str(no_link), str(foreign), str(relay), "abc", ""):
        response = client.post(f"/relais/boite/{request_id}/confier",
                               data={"csrf_token": token, "relay_id": refused})
        assert (response.status_code, error_of(response)) == (400, "form_invalid"), refused
    response = client.post(f"/relais/boite/{request_id}/confier",
                           data={"csrf_token": token, "relay_id": str(other)})
    assert response.status_code == 303
    assert client.get(f"/relais/boite/{request_id}").status_code == 404
    assert f"/relais/boite/{request_id}" in text(other_client.get("/relais/boite"))
    assert ("unassigned", "relay", relay, "relay", None) in trail(app, request_id)
    assert ("assigned", "relay", other, "relay", None) in trail(app, request_id)


def test_referring_to_a_professional_is_in_the_trail(
    app: Flask, routed: tuple[int, int, FlaskClient]
) -> None:
    _relay, request_id, client = routed
    token = csrf(client)
    response = client.post(f"/relais/boite/{request_id}/orienter",
                           data={"csrf_token": token, "to": "aidants_connect"})
    assert response.status_code == 303
    assert "Déjà orienté vers : Aidants Connect" in text(client.get(response.headers["Location"]))
    assert ("referred", "relay", None, "aidants_connect", None) in trail(app, request_id)
    response = client.post(f"/relais/boite/{request_id}/orienter",
                           data={"csrf_token": token, "to": "someone"})
    assert (response.status_code, error_of(response)) == (400, "form_invalid")


def test_every_action_needs_the_form_token(app: Flask,
                                           routed: tuple[int, int, FlaskClient]) -> None:
    _relay, request_id, client = routed
    for action in ("prendre", "statut", "note", "confier", "orienter"):
        response = client.post(f"/relais/boite/{request_id}/{action}",
                               data={"status": "contacted", "body": "x"})
        assert (response.status_code, error_of(response)) == (400, "csrf_failed"), action
    assert request_row(app, request_id).status == "new"


def test_signing_out_ends_the_session(app: Flask,
                                      routed: tuple[int, int, FlaskClient]) -> None:
    _relay, _request_id, client = routed
    response = client.post("/relais/sortir", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    assert client.get("/relais/boite").status_code == 401


# --- the admin's page ---------------------------------------------------------------------------


def test_the_admin_makes_shows_once_and_takes_back_a_link(
    app: Flask, pid: int, launcher: LaunchHelper
) -> None:
    relay = add_relay(app, pid, "Samira Haddad")
    admin = https_client(app)
    launcher.as_(admin, "admin")
    url = f"/admin/relais/{relay}/acces"
    first = admin.get(url)
    assert first.status_code == 200 and "pas de lien valable" in text(first)
    page(first)
    token = csrf(admin, url)
    made = admin.post(url, data={"csrf_token": token, "action": "issue", "expires": "30d"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    link = re.search(r"https://relais\.example\.fr/r/([A-Za-z0-9_-]{43})", text(made))
    assert link, text(made)
    again = text(admin.get(url))
    assert link.group(1) not in again and "marche jusqu" in again  # shown once only
    relay_browser = relay_client(app, link.group(1))
    taken_back = admin.post(url, data={"csrf_token": token, "action": "revoke"})
    assert taken_back.status_code == 303
    assert "L&#39;accès est retiré" in text(admin.get(taken_back.headers["Location"]))
    assert relay_browser.get("/relais/boite").status_code == 401
    for bad in ({"action": "nope"}, {"action": "issue", "expires": "forever"}):
        response = admin.post(url, data={"csrf_token": token, **bad})
        assert (response.status_code, error_of(response)) == (400, "bad_request")


def test_an_admin_of_b_cannot_touch_a_relay_of_a(app: Flask, pid: int,
                                                 launcher: LaunchHelper) -> None:
    relay = add_relay(app, pid)
    fake_b = second_platform(app)
    admin_b = https_client(app)
    LaunchHelper(app, fake_b).as_(admin_b, "admin")
    url = f"/admin/relais/{relay}/acces"
    assert admin_b.get(url).status_code == 404
    own = add_relay(app, platform_id(app, fake_b), "Relais de B")
    token = csrf(admin_b, f"/admin/relais/{own}/acces")
    for action in ("issue", "revoke"):
        response = admin_b.post(url, data={"csrf_token": token, "action": action})
        assert (response.status_code, error_of(response)) == (404, "not_found")
    with app.app_context():
        assert db.session().scalar(select(RelayAccess)) is None
