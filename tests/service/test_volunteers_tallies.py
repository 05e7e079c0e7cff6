"""Counting at an event: a relay or an admin taps a topic per parent helped, corrects a tap,
never goes below zero, never loses a tap when several phones count at once; the table holds
counts and nothing else; the counts appear in the teacher's reach dashboard (the events the
class's families could come to) and in the admin's figures (the period's events), as counts
only, and never another platform's or another class's."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from service import db
from service.volunteers import tallies
from service.volunteers.models import EventTally
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import csrf as session_csrf
from tests.service.test_admin import register_other
from tests.service.test_volunteers_kits import add_event, add_school
from tests.service.test_volunteers_support import (
    checked,
    csrf,
    error_of,
    platform_id,
    relay_client,
    signed_in,
    text,
)

CLASS_A = {"id": "course-6a", "label": "6A", "title": "Sixième A"}
CLASS_B = {"id": "course-6b", "label": "6B", "title": "Sixième B"}


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


def counts(app: Flask, event_id: int) -> dict[str, int]:
    with app.app_context():
        return {r.topic: r.count for r in db.session().scalars(
            select(EventTally).where(EventTally.event_id == event_id))}


def tap(client, event_id: int, topic: str, step: str = "1"):  # type: ignore[no-untyped-def]
    url = f"/benevoles/compter/{event_id}"
    return client.post(url, data={"topic": topic, "step": step,
                                  "csrf_token": csrf(client, url)})


def add_class_event(app: Flask, pid: int, title: str, class_id: str, days: float) -> int:
    event_id = add_event(app, pid, title, days=days)
    with app.app_context(), db.transaction() as tx:
        from service.events.models import Event

        found = tx.get(Event, event_id)
        assert found is not None
        found.class_id = class_id
    return event_id


def count_directly(app: Flask, pid: int, event_id: int, **topics: int) -> None:
    with app.app_context(), db.transaction() as tx:
        for topic, n in topics.items():
            for _ in range(n):
                tallies.add(tx, pid, event_id, topic, 1)


# --- counting ---------------------------------------------------------------------------------


def test_a_relay_counts_in_a_few_taps_and_corrects_a_tap(app: Flask, pid: int) -> None:
    event = add_event(app, pid, "Café des parents", days=0)
    client = relay_client(app, pid)
    listing = client.get("/benevoles/compter")
    checked(listing)
    assert f'href="/benevoles/compter/{event}"' in text(listing)

    for topic in ("install_app", "install_app", "install_app", "forgot_password"):
        response = tap(client, event, topic)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"pas=plus#t-{topic}")
    response = tap(client, event, "install_app", "-1")
    assert response.headers["Location"].endswith("pas=moins#t-install_app")
    assert counts(app, event) == {"install_app": 2, "forgot_password": 1}

    page = client.get(response.headers["Location"])
    checked(page)
    body = text(page)
    assert "C'est corrigé : un de moins pour « Installer l'application »" in unescape(body)
    assert "En tout : 3 aides notées" in body
    assert re.search(r'id="t-install_app">.*?<span class="tally-count">2</span>', body, re.S)
    # "-1" is only offered where there is something to take back.
    assert re.search(r'id="t-bourse">.*?value="-1" class="secondary tally-undo" disabled',
                     body, re.S)


def test_a_count_never_goes_below_zero(app: Flask, launcher: LaunchHelper, pid: int) -> None:
    event = add_event(app, pid, "Stand", "stand_numerique", days=0)
    client = signed_in(app, launcher, "admin")  # admins count too
    assert tap(client, event, "bourse", "-1").status_code == 303
    assert counts(app, event) == {"bourse": 0}
    tap(client, event, "bourse")
    tap(client, event, "bourse", "-1")
    tap(client, event, "bourse", "-1")
    assert counts(app, event) == {"bourse": 0}


def test_taps_from_several_phones_at_once_are_all_counted(app: Flask, pid: int) -> None:
    event = add_event(app, pid, "Fête de l'école", "stand_numerique", days=0)
    errors: list[BaseException] = []

    def one_phone() -> None:
        try:
            with app.app_context():
                for _ in range(5):
                    with db.transaction() as tx:
                        tallies.add(tx, pid, event, "connect_ent", 1)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    phones = [threading.Thread(target=one_phone) for _ in range(6)]
    for phone in phones:
        phone.start()
    for phone in phones:
        phone.join(60)
    assert errors == []
    assert counts(app, event) == {"connect_ent": 30}


def test_bad_input_and_other_platforms_events_change_nothing(app: Flask, pid: int) -> None:
    event = add_event(app, pid, "Café", days=0)
    other = platform_id(app, register_other(app))
    foreign = add_event(app, other, "Café de B", days=0)
    client = relay_client(app, pid)
    assert "Café de B" not in text(client.get("/benevoles/compter"))
    for url in (f"/benevoles/compter/{foreign}", "/benevoles/compter/999999"):
        response = client.get(url)
        assert (response.status_code, error_of(response)) == (404, "not_found")
    token = csrf(client, f"/benevoles/compter/{event}")
    for target, data in [(foreign, {"topic": "bourse", "step": "1"}),
                         (event, {"topic": "nope", "step": "1"}),
                         (event, {"topic": "bourse", "step": "5"}),
                         (event, {"topic": "bourse"})]:
        response = client.post(f"/benevoles/compter/{target}", data={**data,
                                                                     "csrf_token": token})
        assert response.status_code in (400, 404), (target, data)
        assert error_of(response) in ("bad_request", "not_found")
    assert counts(app, event) == {} and counts(app, foreign) == {}


@pytest.mark.parametrize("persona", ["parent", "teacher", "learner"])
def test_other_audiences_cannot_count(app: Flask, launcher: LaunchHelper, pid: int,
                                      persona: str) -> None:
    event = add_event(app, pid, "Café", days=0)
    client = signed_in(app, launcher, persona)
    for method, url in (("GET", "/benevoles/compter"), ("GET", f"/benevoles/compter/{event}"),
                        ("POST", f"/benevoles/compter/{event}")):
        response = client.open(url, method=method, data={"topic": "bourse", "step": "1",
                                                         "csrf_token": session_csrf(client)})
        assert (response.status_code, error_of(response)) == (403, "forbidden"), url
    response = https_client(app).get("/benevoles/compter")
    assert (response.status_code, error_of(response)) == (401, "session_missing")


def test_the_table_holds_counts_and_nothing_else(app: Flask) -> None:
    assert [c.name for c in EventTally.__table__.columns] == [
        "id", "platform_id", "event_id", "topic", "count"]


def test_only_recent_and_coming_events_are_offered(app: Flask, pid: int) -> None:
    titles = {"Hier": -1, "Maintenant": 0, "Dans trois semaines": 21, "Il y a un mois": -30}
    for title, days in titles.items():
        add_event(app, pid, title, days=days)
    shown = text(relay_client(app, pid).get("/benevoles/compter"))
    assert "Hier" in shown and "Maintenant" in shown
    assert "Dans trois semaines" not in shown and "Il y a un mois" not in shown


# --- in the reach figures ---------------------------------------------------------------------


def figure(body: str, key: str) -> str:
    match = re.search(rf'id="figure-{key}"><th scope="row">[^<]*</th><td>([^<]*)</td>', body)
    assert match, key
    return match.group(1)


def test_the_teachers_dashboard_counts_the_events_its_families_could_come_to(
    app: Flask, launcher: LaunchHelper, pid: int
) -> None:
    school = add_school(app, pid, "jmoulin")
    everyone = add_event(app, pid, "Café de la plateforme", days=-2)
    of_school = add_event(app, pid, "Fête du collège", "stand_numerique", days=-3,
                          school_id=school)
    of_class = add_class_event(app, pid, "Café de la 6A", CLASS_A["id"], days=-1)
    of_other_class = add_class_event(app, pid, "Café de la 6B", CLASS_B["id"], days=-1)
    last_year = add_event(app, pid, "Café de l'an dernier", days=-400)
    other = platform_id(app, register_other(app))
    foreign = add_event(app, other, "Café de B", days=-1)
    count_directly(app, pid, everyone, install_app=2)
    count_directly(app, pid, of_school, install_app=1, connect_ent=3)
    count_directly(app, pid, of_class, bourse=1)
    count_directly(app, pid, of_other_class, bourse=7)
    count_directly(app, pid, last_year, bourse=9)
    count_directly(app, other, foreign, bourse=11)

    client = signed_in(app, launcher, "teacher", context=CLASS_A)
    response = client.get("/enseignant/familles")
    checked(response)
    body = text(response)
    assert figure(body, "events_helped") == "7"
    assert figure(body, "events_counted") == "3"
    assert figure(body, "events_install_app") == "3"
    assert figure(body, "events_connect_ent") == "3"
    assert figure(body, "events_bourse") == "1"
    assert 'id="figure-events_forgot_password"' not in body  # only what was counted
    # Counts only: no event, volunteer or family is named there.
    section = body[body.index('id="events-heading"'):body.index("pas encore atteintes")]
    for name in ("Café", "Fête", "Yasmina"):
        assert name not in section


def test_the_admins_figures_count_the_periods_events(app: Flask, launcher: LaunchHelper,
                                                     pid: int) -> None:
    recent = add_event(app, pid, "Café récent", days=-2)
    older = add_event(app, pid, "Café d'il y a deux mois", days=-60)
    other = platform_id(app, register_other(app))
    count_directly(app, pid, recent, install_app=2, bourse=1)
    count_directly(app, pid, older, parcoursup=4)
    count_directly(app, other, add_event(app, other, "Café de B", days=-1), bourse=11)
    client = signed_in(app, launcher, "admin")

    body = text(client.get("/admin/demandes?periode=30"))
    assert re.search(r'id="figure-events_helped"><dt>[^<]*</dt><dd>3</dd>', body)
    assert re.search(r'id="figure-events_counted"><dt>[^<]*</dt><dd>1</dd>', body)
    assert re.search(r'id="figure-events_install_app"><td>[^<]*</td><td class="num">2<', body)
    assert "figure-events_parcoursup" not in body
    body = text(client.get("/admin/demandes?periode=90"))
    assert re.search(r'id="figure-events_helped"><dt>[^<]*</dt><dd>7</dd>', body)
    assert re.search(r'id="figure-events_parcoursup"><td>[^<]*</td><td class="num">4<', body)
    checked(client.get("/admin/demandes?periode=7"))


def test_school_year_starts_on_the_first_of_september() -> None:
    assert tallies.school_year_start(datetime(2025, 10, 3, tzinfo=UTC)) == datetime(
        2025, 9, 1, tzinfo=UTC)
    assert tallies.school_year_start(datetime(2026, 6, 30, tzinfo=UTC)) == datetime(
        2025, 9, 1, tzinfo=UTC)
    assert tallies.school_year_start(datetime(2026, 9, 1, tzinfo=UTC) + timedelta(hours=1)
                                     ) == datetime(2026, 9, 1, tzinfo=UTC)
