"""Becoming a parent ressource, through HTTP: a parent offers to help from the ENT (no email,
a number only with consent), the admin approves (a relay of kind ``parent_ressource`` that no
public page shows, requests routed on the topics the admin ticked, the inbox link shown once),
the volunteer pauses and comes back, opens their inbox from the ENT, and leaves — and then
every table of the database is read: nothing personal of theirs remains. Another platform's
admin sees none of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.directory.models import Relay
from service.help.models import HelpAssignment, HelpRequest, HelpRequestEvent, RoutingRule
from service.help.services import NewRequest, create_request
from service.volunteers.models import Volunteer
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import register_other
from tests.service.test_volunteers_support import (
    add_relay,
    all_cells,
    cells_mentioning,
    checked,
    csrf,
    error_of,
    platform_id,
    relay_link,
    signed_in,
    text,
)

SUB = "parent-volontaire-7"
FIRST_NAME = "Zoubida"
PHONE = "06 98 76 54 32"
PHONE_E164 = "+33698765432"
OFFER = {"first_name": FIRST_NAME, "languages": ["fr", "ar"], "moments": ["evening", "events"],
         "at_ease": ["pronote", "email"], "phone": PHONE, "consent": "yes"}


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


def volunteer_parent(app: Flask, launcher: LaunchHelper, sub: str = SUB) -> FlaskClient:
    return signed_in(app, launcher, "parent", sub=sub)


def offer(client: FlaskClient, **changes: Any) -> Any:
    return client.post("/aider", data={**OFFER, **changes, "csrf_token": csrf(client)})


def volunteers(app: Flask) -> list[Volunteer]:
    with app.app_context():
        rows = list(db.session().scalars(select(Volunteer).order_by(Volunteer.id)))
        for row in rows:
            db.session().expunge(row)
        return rows


def approve(app: Flask, admin: FlaskClient, volunteer_id: int, **form: Any) -> str | None:
    """The admin's yes; returns the inbox link shown once (None without the relays' inbox)."""
    page = f"/admin/benevoles/{volunteer_id}"
    response = admin.post(f"{page}/accepter", data={"topics": ["connect_ent"],
                                                    "lasts": "180d", **form,
                                                    "csrf_token": csrf(admin, page)})
    assert response.status_code == 200, text(response)[:2000]
    assert response.headers["Cache-Control"] == "no-store"
    checked(response)
    if not has_inbox():
        assert "La boîte des relais n'est pas encore installée" in text(response)
        return None
    found = re.search(r'<code id="relay-link">(https://relais\.example\.fr/r/[\w-]{43})</code>',
                      text(response))
    assert found, text(response)
    return found.group(1)


def has_inbox() -> bool:
    try:
        import service.relays.access  # noqa: F401
    except ImportError:
        return False
    return True


def needs_inbox() -> None:
    if not has_inbox():
        pytest.skip("the relays' inbox (service.relays) is not part of this instance")


def routed_request(app: Flask, pid: int, topic: str = "connect_ent") -> int:
    with app.test_request_context(), db.transaction() as tx:
        made = create_request(tx, NewRequest(
            platform_id=pid, origin="public", topic=topic, language="fr",
            phone="+33611223344", consent=True, first_name="Awa", moments=("morning",)))
        return made.id


def active_assignments(app: Flask, request_id: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(a.target, a.relay_id) for a in db.session().scalars(
            select(HelpAssignment).where(HelpAssignment.request_id == request_id,
                                         HelpAssignment.ended_at.is_(None)))]


# --- the offer --------------------------------------------------------------------------------


def test_a_parent_finds_the_offer_on_their_home_and_sends_it(app: Flask, launcher: LaunchHelper,
                                                             pid: int) -> None:
    client = https_client(app)
    home = launcher.as_(client, "parent", sub=SUB)
    assert 'href="/aider"' in text(home) and "Je veux aider d'autres parents" in text(home)
    form = client.get("/aider")
    checked(form)
    body = text(form)
    assert 'type="email"' not in body and 'name="email"' not in body  # no email, ever
    assert 'name="phone"' in body and "(facultatif)" in body
    assert "J'accepte que mon numéro soit gardé" in body

    response = offer(client)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/aider?fait=envoyee")
    page = client.get(response.headers["Location"])
    checked(page)
    assert "L'établissement a reçu votre proposition" in text(page)
    assert "06 •• •• •• 32" in text(page)  # shown back, masked
    [row] = volunteers(app)
    assert (row.platform_id, row.user_id, row.first_name, row.status) == (
        pid, SUB, FIRST_NAME, "pending")
    assert (row.languages, row.moments, row.at_ease) == ("|fr|ar|", "|evening|events|",
                                                         "|pronote|email|")
    assert row.phone == PHONE_E164 and row.consent_at is not None and row.relay_id is None

    assert offer(client, first_name="Autre").status_code == 303  # a second offer: no
    assert [v.first_name for v in volunteers(app)] == [FIRST_NAME]


@pytest.mark.parametrize(("changes", "field"), [
    ({"first_name": "  "}, "first_name"),
    ({"first_name": "<b>Zoubida</b>"}, "first_name"),
    ({"first_name": "Z" * 51}, "first_name"),
    ({"languages": []}, "languages"),
    ({"languages": ["de"]}, "languages"),
    ({"moments": []}, "moments"),
    ({"at_ease": ["jardinage"]}, "at_ease"),
    ({"phone": "12"}, "phone"),
    ({"phone": "08 99 12 34 56"}, "phone"),  # a paying number
    ({"consent": ""}, "consent"),  # a number without consent
])
def test_a_bad_offer_is_shown_back_with_its_error_and_stores_nothing(
    app: Flask, launcher: LaunchHelper, changes: dict[str, Any], field: str
) -> None:
    client = volunteer_parent(app, launcher)
    response = offer(client, **changes)
    assert (response.status_code, error_of(response)) == (400, "form_invalid")
    checked(response)
    assert f'href="#field-{field}"' in text(response)
    assert f'id="error-{field}"' in text(response)
    assert volunteers(app) == []


def test_no_phone_needs_no_consent(app: Flask, launcher: LaunchHelper) -> None:
    client = volunteer_parent(app, launcher)
    assert offer(client, phone="", consent="").status_code == 303
    [row] = volunteers(app)
    assert row.phone is None and row.consent_at is None
    assert "Pas de numéro" in text(client.get("/aider"))


@pytest.mark.parametrize("persona", ["teacher", "learner", "admin"])
def test_only_parents_offer_to_help(app: Flask, launcher: LaunchHelper, persona: str) -> None:
    client = signed_in(app, launcher, persona)
    response = client.get("/aider")
    assert (response.status_code, error_of(response)) == (403, "forbidden")


# --- the admin's answer -----------------------------------------------------------------------


def test_the_admin_approves_and_the_volunteer_becomes_a_relay_with_an_inbox(
    app: Flask, launcher: LaunchHelper, pid: int
) -> None:
    needs_inbox()
    offer(volunteer_parent(app, launcher))
    [row] = volunteers(app)
    admin = signed_in(app, launcher, "admin")
    assert "Parents ressource" in text(admin.get("/admin"))
    listing = admin.get("/admin/benevoles")
    checked(listing)
    assert f'href="/admin/benevoles/{row.id}"' in text(listing)
    detail = admin.get(f"/admin/benevoles/{row.id}")
    checked(detail)
    # Pronote and email suggest their topics; nothing else is ticked.
    ticked = re.findall(r'name="topics" value="(\w+)" checked', text(detail))
    assert ticked == ["connect_ent", "create_email", "follow_schoolwork", "contact_teacher"]

    link = approve(app, admin, row.id, topics=["connect_ent", "create_email"])
    assert link is not None
    [row] = volunteers(app)
    assert row.status == "active" and row.relay_id is not None and row.approved_at
    with app.app_context():
        relay = db.session().get(Relay, row.relay_id)
        assert relay is not None
        assert (relay.kind, relay.name, relay.phone, relay.languages, relay.active) == (
            "parent_ressource", FIRST_NAME, PHONE_E164, "|fr|ar|", True)
        assert relay.welcomes_public is False and relay.access == "|no_public|"
        rules = [(r.topic, r.relay_id) for r in db.session().scalars(select(RoutingRule))]
        assert sorted(rules) == [("connect_ent", relay.id), ("create_email", relay.id)]
    # Approving twice does nothing more.
    again = admin.post(f"/admin/benevoles/{row.id}/accepter",
                       data={"csrf_token": csrf(admin, f"/admin/benevoles/{row.id}")})
    assert again.status_code == 303
    with app.app_context():
        assert db.session().scalar(select(Relay.id).where(Relay.id != relay.id)) is None

    # The link opens the inbox, where a request on a ticked topic arrives.
    request_id = routed_request(app, pid)
    inbox = https_client(app)
    assert inbox.get(link.removeprefix("https://relais.example.fr")).status_code == 303
    page = inbox.get("/relais/boite")
    assert page.status_code == 200 and "Awa" in text(page)
    assert active_assignments(app, request_id) == [("relay", relay.id)]
    hub = inbox.get("/benevoles")
    checked(hub)
    assert "Faire une pause" in text(hub) and 'href="/relais/boite"' in text(hub)


def test_approving_needs_a_known_duration_and_topics(app: Flask, launcher: LaunchHelper) -> None:
    offer(volunteer_parent(app, launcher))
    [row] = volunteers(app)
    admin = signed_in(app, launcher, "admin")
    page = f"/admin/benevoles/{row.id}"
    for form, field in (({"lasts": "forever"}, "lasts"), ({"topics": ["jardinage"]}, "topics")):
        response = admin.post(f"{page}/accepter", data={**form, "csrf_token": csrf(admin, page)})
        assert (response.status_code, error_of(response)) == (400, "form_invalid")
        assert f'href="#field-{field}"' in text(response)
    assert volunteers(app)[0].status == "pending"


def test_the_admin_declines_and_the_offer_is_erased(app: Flask, launcher: LaunchHelper) -> None:
    parent = volunteer_parent(app, launcher)
    offer(parent)
    [row] = volunteers(app)
    admin = signed_in(app, launcher, "admin")
    page = f"/admin/benevoles/{row.id}"
    response = admin.post(f"{page}/refuser", data={"csrf_token": csrf(admin, page)})
    assert response.status_code == 303 and volunteers(app) == []
    assert cells_mentioning(app, FIRST_NAME, "698765432") == []
    assert 'name="first_name"' in text(parent.get("/aider"))  # they may offer again


def test_another_platform_sees_and_changes_nothing(app: Flask, launcher: LaunchHelper) -> None:
    offer(volunteer_parent(app, launcher))
    [row] = volunteers(app)
    other = LaunchHelper(app, register_other(app))
    admin_b = signed_in(app, other, "admin")
    assert FIRST_NAME not in text(admin_b.get("/admin/benevoles"))
    page = f"/admin/benevoles/{row.id}"
    token = csrf(admin_b, "/admin/kits/cafe-des-parents")
    for method, url in (("GET", page), ("POST", f"{page}/accepter"),
                        ("POST", f"{page}/refuser"), ("POST", f"{page}/retirer")):
        response = admin_b.open(url, method=method, data={"csrf_token": token})
        assert (response.status_code, error_of(response)) == (404, "not_found"), url
    assert volunteers(app)[0].status == "pending"
    # The same person on platform B is a stranger there: no offer.
    parent_b = signed_in(app, other, "parent", sub=SUB)
    assert 'name="first_name"' in text(parent_b.get("/aider"))


# --- pause, the inbox from the ENT, leaving ---------------------------------------------------


def approved(app: Flask, launcher: LaunchHelper) -> tuple[FlaskClient, int, str | None]:
    parent = volunteer_parent(app, launcher)
    offer(parent)
    [row] = volunteers(app)
    link = approve(app, signed_in(app, launcher, "admin"), row.id)
    return parent, row.id, link


def test_pausing_stops_new_requests_and_resuming_brings_them_back(
    app: Flask, launcher: LaunchHelper, pid: int
) -> None:
    parent, _id, _link = approved(app, launcher)
    relay_id = volunteers(app)[0].relay_id
    response = parent.post("/aider/pause", data={"csrf_token": csrf(parent)})
    assert response.headers["Location"].endswith("/aider?fait=pause")
    assert "Vous êtes en pause" in text(parent.get("/aider"))
    with app.app_context():
        assert db.session().get(Relay, relay_id).active is False
    paused = routed_request(app, pid)
    assert active_assignments(app, paused) == []  # to the platform's admins instead
    parent.post("/aider/reprendre", data={"csrf_token": csrf(parent)})
    assert volunteers(app)[0].status == "active"
    assert active_assignments(app, routed_request(app, pid)) == [("relay", relay_id)]


def test_the_volunteer_opens_their_inbox_from_the_ent(app: Flask, launcher: LaunchHelper,
                                                      pid: int) -> None:
    access = pytest.importorskip("service.relays.access")
    parent, _id, link = approved(app, launcher)
    assert link is not None
    response = parent.post("/aider/boite", data={"csrf_token": csrf(parent)})
    assert response.status_code == 303 and response.headers["Cache-Control"] == "no-store"
    hop = response.headers["Location"]
    assert re.fullmatch(r"/r/[\w-]{43}", hop)
    landed = parent.get(hop)
    assert landed.headers["Location"].endswith("/relais/boite")
    assert parent.get("/relais/boite").status_code == 200
    # Their personal link still works: the hop did not replace it.
    assert https_client(app).get(link.removeprefix("https://relais.example.fr")
                                 ).status_code == 303
    # Once the admin takes their access back, the ENT says so.
    relay_id = volunteers(app)[0].relay_id
    with app.app_context(), db.transaction() as tx:
        access.revoke(tx, pid, relay_id)
    parent = volunteer_parent(app, launcher)
    response = parent.post("/aider/boite", data={"csrf_token": csrf(parent)})
    assert response.status_code == 200 and "ne marche plus" in text(response)


def test_a_relay_who_is_no_volunteer_has_no_pause_and_no_leave(app: Flask, pid: int) -> None:
    client = https_client(app)
    client.get(f"/r/{relay_link(app, pid, add_relay(app, pid))}")
    page = text(client.get("/benevoles"))
    assert "Faire une pause" not in page and "Arrêter" not in page
    response = client.post("/aider/pause", data={"csrf_token": csrf(client, "/benevoles/kits")})
    assert (response.status_code, error_of(response)) == (404, "not_found")


def test_leaving_erases_everything_personal_of_theirs(app: Flask, launcher: LaunchHelper,
                                                      pid: int) -> None:
    needs_inbox()
    app.config["SMS_PROVIDER_URL"] = "http://127.0.0.1:9/sms"  # messages to them get queued
    _parent, _id, link = approved(app, launcher)
    assert link is not None
    relay_id = volunteers(app)[0].relay_id
    assert relay_id is not None
    other = add_relay(app, pid, "Médiathèque du quartier", kind="structure")
    held = routed_request(app, pid)
    inbox = https_client(app)
    inbox.get(link.removeprefix("https://relais.example.fr"))
    token = csrf(inbox, f"/relais/boite/{held}")
    inbox.post(f"/relais/boite/{held}/prendre", data={"csrf_token": token})
    inbox.post(f"/relais/boite/{held}/note", data={"body": "Rappeler jeudi soir.",
                                                   "csrf_token": token})
    inbox.post(f"/relais/boite/{held}/statut", data={"status": "contacted",
                                                     "csrf_token": token})
    before = cells_mentioning(app, FIRST_NAME, "698765432")
    assert {table for table, _c, _v in before} >= {"volunteer", "relay", "outbox_message"}

    page = inbox.get("/aider/arreter")  # from their inbox, as a relay
    checked(page)
    assert "Ce qui sera effacé" in text(page)
    response = inbox.post("/aider/arreter", data={"csrf_token": csrf(inbox, "/aider/arreter")})
    assert response.status_code == 200 and "Vos informations sont effacées" in text(response)
    after_page = inbox.get("/relais/boite")
    assert after_page.status_code == 401  # the session they came with ended

    # Every table, every cell: nothing of theirs.
    assert cells_mentioning(app, FIRST_NAME, "698765432", "98 76 54 32") == []
    their_id = [(t, c) for t, c, _v in cells_mentioning(app, SUB)]
    assert {t for t, _c in their_id} <= {"class_visit"}  # their own use of Relais as a parent
    for table, cells in all_cells(app).items():
        for column, value in cells:
            if column == "relay_id":
                assert value != relay_id, (table, column)
    with app.app_context():
        session = db.session()
        assert session.get(Relay, relay_id) is None
        assert session.scalars(select(Volunteer)).all() == []
        trail = session.scalars(select(HelpRequestEvent).where(
            HelpRequestEvent.request_id == held).order_by(HelpRequestEvent.id)).all()
        assert [e.kind for e in trail][-1] == "unassigned"
        assert all(e.actor_id != str(relay_id) for e in trail if e.actor_kind == "relay")
        request = session.get(HelpRequest, held)
        assert request is not None and request.status == "contacted"  # what was done stays
    assert active_assignments(app, held) == []  # back with the platform's admins
    with app.app_context():
        assert db.session().get(Relay, other) is not None  # nobody else was touched


def test_a_pending_offer_is_withdrawn_from_the_ent(app: Flask, launcher: LaunchHelper) -> None:
    parent = volunteer_parent(app, launcher)
    offer(parent)
    assert "Retirer ma proposition" in text(parent.get("/aider"))
    response = parent.post("/aider/arreter", data={"csrf_token": csrf(parent)})
    assert response.status_code == 200 and "Votre proposition est retirée" in text(response)
    checked(response)
    assert volunteers(app) == [] and cells_mentioning(app, FIRST_NAME, "698765432") == []
    assert parent.get("/aider").status_code == 200  # still signed in as a parent


def test_the_admin_removes_a_volunteer_and_their_data(app: Flask, launcher: LaunchHelper) -> None:
    _parent, volunteer_id, _link = approved(app, launcher)
    admin = signed_in(app, launcher, "admin")
    page = f"/admin/benevoles/{volunteer_id}"
    response = admin.post(f"{page}/retirer", data={"csrf_token": csrf(admin, page)})
    assert response.status_code == 303
    assert volunteers(app) == [] and cells_mentioning(app, FIRST_NAME, "698765432") == []
