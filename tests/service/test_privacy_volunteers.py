"""Erasing a parent who volunteers as a parent ressource: they leave, through
``service.volunteers.services.leave``, in the erasure's own transaction. Their offer, their
relay (name, number, languages), its links and routing go; the requests their relay held stay,
with whoever else has them or back with the platform's admins; their own requests go with
them. The same LTI id on another platform is another person, untouched. Their export shows
their volunteer profile and the relay it made."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.directory.models import Relay
from service.help.models import (
    TARGET_RELAY,
    HelpAssignment,
    HelpRequest,
    HelpRequestEvent,
    RoutingRule,
)
from service.help.routing import RuleInput, add_rule
from service.help.services import NewRequest, create_request
from service.privacy import audit, services
from service.privacy.models import AuditEntry
from service.volunteers.models import Volunteer
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import register_other
from tests.service.test_volunteers import (
    FIRST_NAME,
    PHONE_E164,
    SUB,
    active_assignments,
    approve,
    needs_inbox,
    offer,
    routed_request,
)
from tests.service.test_volunteers_support import (
    add_relay,
    all_cells,
    cells_mentioning,
    checked,
    csrf,
    error_of,
    platform_id,
    relay_client,
    signed_in,
    text,
)

# The same LTI id on platform B: another person, with their own offer.
FIRST_NAME_B = "Samira"
PHONE_B = "07 55 44 33 22"
PHONE_B_E164 = "+33755443322"


@dataclass
class World:
    pid: int
    other_pid: int
    relay_id: int  # the volunteer's relay on platform A
    link: str  # its personal link (path)
    inbox: FlaskClient  # the volunteer, signed in to their inbox with that link
    mediatheque: int  # another relay of platform A, routed the same topic
    held: int  # a request the volunteer took and moved on
    shared: int  # a request routed to them and to the médiathèque
    own: int  # the volunteer's own request, as a parent
    relay_b: int
    link_b: str


def _path(link: str | None) -> str:
    assert link is not None
    return link.removeprefix("https://relais.example.fr")


def _volunteer_of(app: Flask, pid: int) -> Volunteer | None:
    with app.app_context():
        found = db.session().scalar(select(Volunteer).where(Volunteer.platform_id == pid,
                                                            Volunteer.user_id == SUB))
        if found is not None:
            db.session().expunge(found)
        return found


def _approved_volunteer(app: Flask, launcher: LaunchHelper, **changes: Any) -> tuple[int, str]:
    """``SUB`` offers from the ENT of ``launcher``'s platform, its admin says yes: the
    volunteer's relay id and their inbox link."""
    parent = signed_in(app, launcher, "parent", sub=SUB)
    assert offer(parent, **changes).status_code == 303
    assert launcher.platform is not None
    pid = platform_id(app, launcher.platform)
    row = _volunteer_of(app, pid)
    assert row is not None
    link = approve(app, signed_in(app, launcher, "admin"), row.id)
    row = _volunteer_of(app, pid)
    assert row is not None and row.relay_id is not None
    return row.relay_id, _path(link)


def _own_request(app: Flask, pid: int) -> int:
    with app.test_request_context(), db.transaction() as tx:
        return create_request(tx, NewRequest(
            platform_id=pid, origin="ent", topic="connect_ent", language="fr",
            channel="in_person", first_name=FIRST_NAME, user_id=SUB)).id


@pytest.fixture
def world(app: Flask, launcher: LaunchHelper, platform: FakePlatform) -> World:
    needs_inbox()
    pid = platform_id(app, platform)
    mediatheque = add_relay(app, pid, "Médiathèque du quartier", kind="structure")
    with app.test_request_context(), db.transaction() as tx:
        add_rule(tx, RuleInput(platform_id=pid, target=TARGET_RELAY, relay_id=mediatheque,
                               topic="connect_ent"))
    relay_id, link = _approved_volunteer(app, launcher)

    # Routed to both; the volunteer takes one (the médiathèque stops seeing it) and calls.
    held, shared = routed_request(app, pid), routed_request(app, pid)
    own = _own_request(app, pid)
    for request_id in (held, shared, own):
        assert sorted(active_assignments(app, request_id)) == sorted(
            [("relay", relay_id), ("relay", mediatheque)])
    inbox = https_client(app)
    assert inbox.get(link).status_code == 303
    token = csrf(inbox, f"/relais/boite/{held}")
    inbox.post(f"/relais/boite/{held}/prendre", data={"csrf_token": token})
    inbox.post(f"/relais/boite/{held}/note", data={"body": "Rappeler jeudi soir.",
                                                   "csrf_token": token})
    inbox.post(f"/relais/boite/{held}/statut", data={"status": "contacted",
                                                     "csrf_token": token})
    assert active_assignments(app, held) == [("relay", relay_id)]

    fake_b = register_other(app)
    relay_b, link_b = _approved_volunteer(app, LaunchHelper(app, fake_b),
                                          first_name=FIRST_NAME_B, phone=PHONE_B)
    return World(pid, platform_id(app, fake_b), relay_id, link, inbox, mediatheque, held, shared,
                 own, relay_b, link_b)


def _erase(app: Flask, launcher: LaunchHelper, by: str) -> str:
    """Erase ``SUB`` of platform A, as themselves or as the admin; what the page says."""
    if by == "parent":
        parent = signed_in(app, launcher, "parent", sub=SUB)
        confirm = parent.get("/confidentialite/effacer")
        checked(confirm)
        # The parent is told, before saying yes, that they stop volunteering.
        assert "votre fiche de parent ressource" in text(confirm)
        erased = parent.post("/confidentialite/effacer", data={"csrf_token": csrf(parent)})
        assert erased.status_code == 200 and 'data-erased="yes"' in text(erased)
        return text(erased)
    admin = signed_in(app, launcher, "admin")
    erased = admin.post("/admin/donnees-personnelles", data={
        "user_id": SUB, "action": "erase", "confirm": "yes", "csrf_token": csrf(admin)})
    assert erased.status_code == 303
    return text(admin.get(erased.headers["Location"]))


def _erasures(app: Flask, pid: int) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEntry).where(
            AuditEntry.platform_id == pid, AuditEntry.action == "personal_data_erased")))


@pytest.mark.parametrize("by", ["parent", "admin"])
def test_erasing_a_volunteer_parent_makes_them_leave_with_their_relay(
        app: Flask, launcher: LaunchHelper, world: World, by: str) -> None:
    assert {t for t, _c, _v in cells_mentioning(app, FIRST_NAME, "698765432")} >= {
        "volunteer", "relay"}

    said = _erase(app, launcher, by)

    # Their offer and their relay are gone, and every cell that held their name or number.
    assert _volunteer_of(app, world.pid) is None
    with app.app_context():
        session = db.session()
        assert session.get(Relay, world.relay_id) is None
        assert session.scalars(select(RoutingRule.id).where(
            RoutingRule.relay_id == world.relay_id)).all() == []
    assert cells_mentioning(app, FIRST_NAME, "698765432", "98 76 54 32") == []
    for table, cells in all_cells(app).items():
        for column, value in cells:
            if column == "relay_id":
                assert value != world.relay_id, (table, column)

    # Their link opens nothing any more, and the inbox they had open is closed.
    assert world.inbox.get("/relais/boite").status_code == 401
    opened = https_client(app).get(world.link)
    assert (opened.status_code, error_of(opened)) == (404, "relay_link_invalid")

    # The request they took stays, as far as it went, back with the platform's admins.
    with app.app_context():
        session = db.session()
        held = session.get(HelpRequest, world.held)
        assert held is not None and held.status == "contacted"
        trail = session.scalars(select(HelpRequestEvent).where(
            HelpRequestEvent.request_id == world.held).order_by(HelpRequestEvent.id)).all()
        assert (trail[-1].kind, trail[-1].target, trail[-1].relay_id) == (
            "unassigned", TARGET_RELAY, None)
        # Their own request went with them, handed back to nobody.
        assert session.get(HelpRequest, world.own) is None
        assert session.scalars(select(HelpRequestEvent.id).where(
            HelpRequestEvent.request_id == world.own)).all() == []
        assert session.scalars(select(HelpAssignment.id).where(
            HelpAssignment.request_id == world.own)).all() == []
    assert active_assignments(app, world.held) == []
    # The one they shared stays with the médiathèque, who sees it in their inbox.
    assert active_assignments(app, world.shared) == [("relay", world.mediatheque)]
    mediatheque = relay_client(app, world.pid, world.mediatheque)
    assert mediatheque.get(f"/relais/boite/{world.shared}").status_code == 200
    # New requests on the topic go to whoever is left.
    assert active_assignments(app, routed_request(app, world.pid)) == [
        ("relay", world.mediatheque)]

    # The admin and the audit log say it, without whose.
    detail = "sa fiche de parent ressource, 2 demande(s) suivie(s) rendue(s) à l'établissement"
    [entry] = _erasures(app, world.pid)
    assert entry.target == audit.ERASED and detail in entry.detail
    assert SUB not in entry.detail and FIRST_NAME not in entry.detail
    if by == "admin":
        assert detail in said


def test_the_same_id_on_another_platform_keeps_volunteering(
        app: Flask, launcher: LaunchHelper, world: World) -> None:
    def platform_b() -> tuple[Any, ...]:
        with app.app_context():
            session = db.session()
            volunteer = session.scalar(select(Volunteer).where(
                Volunteer.platform_id == world.other_pid))
            relay = session.get(Relay, world.relay_b)
            assert volunteer is not None and relay is not None
            rules = session.scalars(select(RoutingRule.topic).where(
                RoutingRule.platform_id == world.other_pid,
                RoutingRule.relay_id == world.relay_b)).all()
            return (volunteer.user_id, volunteer.first_name, volunteer.phone, volunteer.status,
                    volunteer.relay_id, relay.platform_id, relay.name, relay.phone,
                    relay.active, tuple(rules))

    before = platform_b()
    assert before == (SUB, FIRST_NAME_B, PHONE_B_E164, "active", world.relay_b,
                      world.other_pid, FIRST_NAME_B, PHONE_B_E164, True, ("connect_ent",))
    _erase(app, launcher, "admin")
    assert platform_b() == before
    assert _erasures(app, world.other_pid) == []
    inbox_b = https_client(app)
    assert inbox_b.get(world.link_b).status_code == 303
    assert inbox_b.get("/relais/boite").status_code == 200
    routed_b = routed_request(app, world.other_pid)
    assert active_assignments(app, routed_b) == [("relay", world.relay_b)]


@pytest.mark.parametrize("by", ["parent", "admin"])
def test_the_export_shows_the_volunteer_and_the_relay_they_became(
        app: Flask, launcher: LaunchHelper, world: World, by: str) -> None:
    if by == "parent":
        client = signed_in(app, launcher, "parent", sub=SUB)
        export = client.get("/confidentialite/mes-donnees.json")
    else:
        client = signed_in(app, launcher, "admin")
        export = client.post("/admin/donnees-personnelles", data={
            "user_id": SUB, "action": "export", "csrf_token": csrf(client)})
    assert export.status_code == 200 and export.mimetype == "application/json"
    data = export.get_json()
    [volunteer] = data["volunteer"]
    assert (volunteer["first_name"], volunteer["phone"], volunteer["status"]) == (
        FIRST_NAME, PHONE_E164, "active")
    assert volunteer["languages"] == "|fr|ar|" and volunteer["approved_at"]
    relay = volunteer["relay"]
    assert (relay["kind"], relay["name"], relay["phone"], relay["languages"]) == (
        "parent_ressource", FIRST_NAME, PHONE_E164, ["fr", "ar"])
    assert relay["active"] is True and relay["requests_held"] == 3  # held, shared, own
    assert [(link["kind"], link["revoked_at"]) for link in relay["links"]] == [
        ("personal", None)]
    assert relay["links"][0]["last_used_at"] is not None
    # Never a way in (no token, no hash of one), never another platform's person.
    raw = json.dumps(data, ensure_ascii=False)
    assert world.link.rsplit("/", 1)[1] not in raw and "token" not in raw
    assert FIRST_NAME_B not in raw and PHONE_B_E164 not in raw
    # Exporting changes nothing.
    assert _volunteer_of(app, world.pid) is not None
    assert https_client(app).get(world.link).status_code == 303


def test_a_pending_offer_is_exported_and_erased_too(app: Flask, launcher: LaunchHelper,
                                                    platform: FakePlatform) -> None:
    parent = signed_in(app, launcher, "parent", sub=SUB)
    offer(parent)
    [volunteer] = parent.get("/confidentialite/mes-donnees.json").get_json()["volunteer"]
    assert (volunteer["first_name"], volunteer["status"], volunteer["relay"]) == (
        FIRST_NAME, "pending", None)
    _erase(app, launcher, "parent")
    assert _volunteer_of(app, platform_id(app, platform)) is None
    assert cells_mentioning(app, FIRST_NAME, "698765432") == []
    assert 'name="first_name"' in text(parent.get("/aider"))  # they may offer again


def test_an_erasure_that_fails_leaves_the_volunteer_as_they_were(
        app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaving happens in the erasure's transaction: all of it, or nothing."""
    def before() -> tuple[Any, ...]:
        with app.app_context():
            session = db.session()
            return (session.get(Relay, world.relay_id) is not None,
                    session.scalars(select(RoutingRule.id).where(
                        RoutingRule.relay_id == world.relay_id)).all(),
                    sorted(all_cells(app).get("relay_access", [])))

    was = before()
    real = audit.record

    def failing(db_: Any, platform_id_: Any, action: str, **kw: Any) -> Any:
        if action == "personal_data_erased":
            raise RuntimeError("the disk is full")
        return real(db_, platform_id_, action, **kw)

    monkeypatch.setattr(audit, "record", failing)
    with app.test_request_context(), pytest.raises(RuntimeError):
        with db.transaction() as tx:
            services.erase(tx, services.Person(world.pid, user_id=SUB), who=None)

    assert before() == was
    volunteer = _volunteer_of(app, world.pid)
    assert volunteer is not None and volunteer.relay_id == world.relay_id
    assert active_assignments(app, world.held) == [("relay", world.relay_id)]
    assert sorted(active_assignments(app, world.shared)) == sorted(
        [("relay", world.relay_id), ("relay", world.mediatheque)])
    assert world.inbox.get("/relais/boite").status_code == 200
    with app.app_context():
        assert db.session().get(HelpRequest, world.own) is not None
