"""Routing: the most specific rule wins, then the school's contact, then the platform; every
assignment is in the trail, written in the same transaction as the request."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.help.models import HelpAssignment, HelpRequestEvent, RoutingRule
from service.help.routing import RoutingError, RuleInput, add_rule
from service.help.services import NewRequest, create_request
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import (
    PHONE_E164,
    count,
    csrf_of,
    make_relays,
    make_school,
    page,
    platform_id,
    second_platform,
)


def _rule(app: Flask, platform: int, **fields: object) -> int:
    fields.setdefault("target", "relay")
    with app.app_context(), db.transaction() as tx:
        return add_rule(tx, RuleInput(platform_id=platform, **fields)).id  # type: ignore[arg-type]


def _route(app: Flask, platform: int, **fields: object) -> tuple[list[tuple], list[tuple]]:
    """Create a request; returns its (target, relay_id, rule_id) assignments and trail."""
    new = NewRequest(platform_id=platform, origin="public", topic="bourse", language="fr",
                     phone=PHONE_E164, consent=True)
    with app.app_context():
        with db.transaction() as tx:
            made = create_request(tx, replace(new, **fields))  # type: ignore[arg-type]
            request_id = made.id
        session = db.session()
        assignments = [(a.target, a.relay_id, a.rule_id) for a in session.scalars(
            select(HelpAssignment).where(HelpAssignment.request_id == request_id)
            .order_by(HelpAssignment.id))]
        trail = [(e.kind, e.target, e.relay_id, e.actor_kind) for e in session.scalars(
            select(HelpRequestEvent).where(HelpRequestEvent.request_id == request_id)
            .order_by(HelpRequestEvent.id))]
    return assignments, trail


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


@pytest.fixture
def r(app: Flask, pid: int) -> list[int]:
    """Relay ids of the platform: r[1] … r[9] (r[0] unused, so tests read as relay 1, 2…)."""
    return make_relays(app, pid, 10)


def test_the_most_specific_rule_wins(app: Flask, pid: int, r: list[int]) -> None:
    school = make_school(app, pid, "spec", contact="Mme Martin")
    _rule(app, pid, relay_id=r[1])
    _rule(app, pid, relay_id=r[2], topic="bourse")
    three = _rule(app, pid, relay_id=r[3], topic="bourse", language="ar")
    _rule(app, pid, relay_id=r[4], topic="bourse", language="ar", priority=-5)
    _rule(app, pid, relay_id=r[5], language="tr", school_id=school)
    assert _route(app, pid, language="ar")[0] == [("relay", r[3], three)]
    assert _route(app, pid, language="fr")[0][0][1] == r[2]
    assert _route(app, pid, topic="other")[0][0][1] == r[1]
    # Two criteria (language + school) beat one (topic).
    assert _route(app, pid, language="tr", school_id=school)[0][0][1] == r[5]


def test_priority_breaks_ties_and_equal_rules_share_the_request(
    app: Flask, pid: int, r: list[int]
) -> None:
    _rule(app, pid, relay_id=r[1], topic="bourse")
    _rule(app, pid, relay_id=r[2], topic="bourse", priority=5)
    assert [a[1] for a in _route(app, pid)[0]] == [r[2]]
    _rule(app, pid, relay_id=r[3], topic="bourse", priority=5)
    assignments, trail = _route(app, pid)
    assert [a[1] for a in assignments] == [r[2], r[3]]
    assert [(t[0], t[2]) for t in trail] == [("created", None), ("assigned", r[2]),
                                             ("assigned", r[3])]


def test_falls_back_to_the_school_contact_then_to_the_platform(
    app: Flask, pid: int, r: list[int]
) -> None:
    with_contact = make_school(app, pid, "withc", contact="M. Diallo")
    without = make_school(app, pid, "noc")
    _rule(app, pid, relay_id=r[7], topic="parcoursup")  # does not match "bourse"
    assignments, trail = _route(app, pid, school_id=with_contact)
    assert assignments == [("school_contact", None, None)]
    assert trail[-1] == ("assigned", "school_contact", None, "system")
    assignments, trail = _route(app, pid, school_id=without)
    assert assignments == []
    assert trail[-1] == ("assigned", "platform", None, "system")  # the admins see it
    assert _route(app, pid)[0] == []  # an ENT request without a school


def test_a_school_contact_rule_needs_a_school_with_a_contact(
    app: Flask, pid: int, r: list[int]
) -> None:
    school = make_school(app, pid, "scr", contact="Mme Roux")
    bare = make_school(app, pid, "bare")
    _rule(app, pid, relay_id=r[9])
    _rule(app, pid, target="school_contact", topic="bourse")
    assert _route(app, pid, school_id=school)[0][0][0] == "school_contact"
    assert _route(app, pid, school_id=bare)[0][0][1] == r[9]  # the next usable rule


def test_a_paused_relay_gets_nothing_new(app: Flask, pid: int, r: list[int]) -> None:
    [paused] = make_relays(app, pid, 1, active=False)
    _rule(app, pid, relay_id=r[1])
    _rule(app, pid, relay_id=paused, topic="bourse")
    assert _route(app, pid)[0][0][1] == r[1]


def test_another_platform_rules_and_relays_never_apply(app: Flask, pid: int) -> None:
    pid_b = platform_id(app, second_platform(app))
    [relay_b] = make_relays(app, pid_b, 1)
    _rule(app, pid_b, relay_id=relay_b, topic="bourse")
    assert _route(app, pid)[0] == []
    school_b = make_school(app, pid_b, "otherb", contact="B")
    # Even a request pointing at another tenant's school is not routed there.
    assert _route(app, pid, school_id=school_b)[0] == []
    # And a rule cannot name another tenant's relay.
    with pytest.raises(RoutingError, match="no relay"):
        _rule(app, pid, relay_id=relay_b)


def test_request_routing_and_trail_are_one_transaction(app: Flask, pid: int, r: list[int]) -> None:
    _rule(app, pid, relay_id=r[1])
    with app.app_context(), pytest.raises(RuntimeError):
        with db.transaction() as tx:
            create_request(tx, NewRequest(platform_id=pid, origin="ent", topic="bourse",
                                          language="fr", phone=PHONE_E164, consent=True))
            raise RuntimeError("the caller fails after creating")
    for table in ("help_request", "help_assignment", "help_request_event"):
        assert count(app, table) == 0, table


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"topic": "nope"}, "unknown topic"),
        ({"language": "xx"}, "unknown language"),
        ({"relay_id": None}, "needs a relay id"),
        ({"target": "school_contact", "relay_id": 3}, "takes no relay id"),
        ({"target": "someone"}, "relay or the school contact"),
        ({"school_id": 99999}, "no such school"),
        ({"relay_id": 999999}, "no relay 999999 on this platform"),
    ],
)
def test_bad_rules_are_refused(app: Flask, pid: int, r: list[int], fields: dict,
                               message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        _rule(app, pid, **{"relay_id": r[1], **fields})
    assert count(app, "routing_rule") == 0


def test_the_command_line_adds_lists_and_removes_rules(app: Flask, runner, pid: int,
                                                      r: list[int],
                                                      platform: FakePlatform) -> None:
    make_school(app, pid, "clisch", contact="X")
    name = platform.issuer
    result = runner.invoke(args=["routing", "add", "--platform", name, "--topic", "bourse",
                                 "--language", "ar", "--relay-id", str(r[1])])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("added rule ")
    result = runner.invoke(args=["routing", "add", "--platform", name, "--school", "clisch",
                                 "--school-contact", "--priority", "3"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["routing", "list"]).output.splitlines()
    assert len(listing) == 2
    assert f"topic=bourse\tlanguage=ar\tschool=*\tpriority=0\t-> relay {r[1]}" in listing[0]
    assert "school=clisch\tpriority=3\t-> school contact" in listing[1]
    rule_id = listing[0].split("\t")[0]
    assert runner.invoke(args=["routing", "remove", rule_id, "--platform", name]).exit_code == 0
    assert len(runner.invoke(args=["routing", "list", "--platform", name]).output.splitlines()) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--relay-id", "1", "--school-contact"], "exactly one of"),
        ([], "exactly one of"),
        (["--relay-id", "1", "--topic", "nope"], "unknown topic"),
        (["--relay-id", "1", "--school", "nowhere"], "no school"),
    ],
)
def test_the_command_line_explains_refusals(runner, platform: FakePlatform, args: list,
                                           message: str) -> None:
    result = runner.invoke(args=["routing", "add", "--platform", platform.issuer, *args])
    assert result.exit_code != 0 and message in result.output


def test_the_command_line_needs_a_known_platform(runner, platform: FakePlatform) -> None:
    result = runner.invoke(args=["routing", "add", "--platform", "nope", "--relay-id", "1"])
    assert result.exit_code != 0 and "no platform named 'nope'" in result.output


# --- The admin page ---


@pytest.fixture
def admin(client: FlaskClient, launcher: LaunchHelper) -> FlaskClient:
    launcher.as_(client, "admin")
    return client


def _admin_post(client: FlaskClient, url: str, fields: dict):
    token = csrf_of(client.get("/admin/routage"))
    return client.post(url, data={"csrf_token": token, **fields})


def test_admins_add_and_remove_rules_from_the_page(app: Flask, admin: FlaskClient,
                                                   pid: int, r: list[int]) -> None:
    school = make_school(app, pid, "adm", contact="C")
    response = admin.get("/admin/routage")
    assert response.status_code == 200
    assert page(response).body["data-audience"] == "admin"
    assert "Collège adm" in response.get_data(as_text=True)
    response = _admin_post(admin, "/admin/routage", {"topic": "bourse", "language": "",
                                                     "school_id": str(school), "target": "relay",
                                                     "relay_id": str(r[8]), "priority": "2"})
    assert response.status_code == 303
    with app.app_context():
        [rule] = db.session().scalars(select(RoutingRule)).all()
        assert (rule.topic, rule.language, rule.school_id, rule.relay_id, rule.priority) == (
            "bourse", None, school, r[8], 2)
        rule_id = rule.id
    html = admin.get("/admin/routage").get_data(as_text=True)
    assert f"Relais 8 (n° {r[8]})" in html and "La bourse" in html
    response = _admin_post(admin, f"/admin/routage/{rule_id}/supprimer", {})
    assert response.status_code == 303
    assert count(app, "routing_rule") == 0


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"target": "relay", "relay_id": ""}, "relay_id"),
        ({"target": "relay", "relay_id": "<b>1</b>"}, "relay_id"),
        ({"target": "school_contact", "relay_id": "4"}, "relay_id"),
        ({"target": "nobody"}, "target"),
        ({"target": "relay", "relay_id": "1", "topic": "<script>"}, "topic"),
        ({"target": "relay", "relay_id": "1", "language": "xx"}, "language"),
        ({"target": "relay", "relay_id": "1", "school_id": "99999"}, "school_id"),
        ({"target": "relay", "relay_id": "1", "priority": "1000"}, "priority"),
        ({"target": "relay", "relay_id": "999999"}, "relay_id"),
    ],
)
def test_the_rule_form_says_what_is_wrong(app: Flask, admin: FlaskClient, fields: dict,
                                         field: str) -> None:
    response = _admin_post(admin, "/admin/routage", fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="error-{field}"' in html and "<script>" not in html
    assert count(app, "routing_rule") == 0


def test_the_routing_page_is_for_admins_of_their_own_platform(
    app: Flask, client: FlaskClient, launcher: LaunchHelper, pid: int
) -> None:
    [relay] = make_relays(app, pid, 1)
    rule_a = _rule(app, pid, relay_id=relay, topic="bourse")
    launcher.as_(client, "parent")
    assert client.get("/admin/routage").status_code == 403
    fake_b = second_platform(app)
    admin_b = https_client(app)
    LaunchHelper(app, fake_b).as_(admin_b, "admin")
    assert "Relais 0" not in admin_b.get("/admin/routage").get_data(as_text=True)
    response = _admin_post(admin_b, f"/admin/routage/{rule_a}/supprimer", {})
    assert response.status_code == 404
    assert count(app, "routing_rule") == 1
