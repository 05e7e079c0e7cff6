"""The admin's events page: scoped to the admin's platform, validated, nothing written on bad
input, closed to every other audience."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service import db
from service.events.models import Event, EventAttendance
from tests.service.test_events import (
    add_event,
    add_school,
    assert_unique_ids,
    csrf_of,
    other_platform,
    platform_id,
    signed_in,
    text_of,
)

VALID = {
    "title": "Café des parents de décembre",
    "kind": "cafe_parents",
    "starts_at": "2099-12-12T10:00",
    "ends_at": "2099-12-12T12:00",
    "place": "Salle polyvalente",
    "languages": ["fr", "ar"],
    "description": "Venez comme vous êtes.",
    "school_id": "",
}


def events_in_db(app: Flask) -> list[Event]:
    with app.app_context():
        return list(db.session().scalars(select(Event).order_by(Event.id)))


@pytest.fixture
def admin(app, launcher):
    return signed_in(app, launcher, "admin")


def post_form(client, url: str, data: dict[str, Any]):
    token = csrf_of(text_of(client.get(url)))
    return client.post(url, data={**data, "csrf_token": token})


def test_admin_adds_an_event(app, admin, platform):
    school = add_school(app, platform_id(app, platform), "Collège X")
    page = admin.get("/admin/evenements/nouveau")
    assert page.status_code == 200
    html = text_of(page)
    assert 'data-audience="admin"' in html and "Collège X" in html
    assert_unique_ids(html)
    response = post_form(admin, "/admin/evenements/nouveau", {**VALID, "school_id": school.id})
    assert response.status_code == 303
    [event] = events_in_db(app)
    assert event.title == VALID["title"] and event.school_id == school.id
    assert event.languages == ["fr", "ar"] and event.created_by == "admin-1"
    assert event.starts_at.isoformat() == "2099-12-12T09:00:00+00:00"  # 10 h in Paris
    listing = text_of(admin.get("/admin/evenements"))
    assert "Le rendez-vous est ajouté." in listing
    assert VALID["title"] in listing and "samedi 12 décembre 2099" in listing


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "ab"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"kind": "fete_foraine"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"starts_at": "demain matin"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"ends_at": "2099-12-12T09:00"}, "ends_at"),
        ({"ends_at": "2099-12-12T10:00"}, "ends_at"),
        ({"languages": ["fr", "klingon"]}, "languages"),
        ({"place": "p" * 201}, "place"),
        ({"description": "d" * 2001}, "description"),
        ({"school_id": "abc"}, "school_id"),
        ({"school_id": "999999"}, "school_id"),
    ],
)
def test_invalid_input_is_shown_next_to_its_field_and_nothing_is_written(app, admin, change,
                                                                         field):
    response = post_form(admin, "/admin/evenements/nouveau", {**VALID, **change})
    assert response.status_code == 400
    html = text_of(response)
    assert 'id="error-summary"' in html and f'href="#field-{field}"' in html
    assert f'id="error-{field}"' in html
    assert events_in_db(app) == []
    # What was typed comes back, escaped.
    if "title" in change and change["title"]:
        assert 'value="' + change["title"] + '"' in html


def test_html_in_fields_is_stored_as_text_and_escaped(app, admin):
    script = '<script>alert("x")</script>'
    response = post_form(admin, "/admin/evenements/nouveau",
                         {**VALID, "title": script, "place": script, "description": script})
    assert response.status_code == 303
    html = text_of(admin.get("/admin/evenements"))
    assert script not in html and "&lt;script&gt;" in html


def test_a_school_of_another_platform_is_refused(app, admin):
    other = platform_id(app, other_platform(app))
    foreign = add_school(app, other, "Collège d'ailleurs")
    response = post_form(admin, "/admin/evenements/nouveau", {**VALID, "school_id": foreign.id})
    assert response.status_code == 400
    assert 'id="error-school_id"' in text_of(response)
    assert events_in_db(app) == []


def test_admin_edits_and_deletes_their_platform_events(app, admin, platform):
    a = platform_id(app, platform)
    event_id = add_event(app, a, "Réunion de rentrée", class_id="course-6a")
    page = text_of(admin.get(f"/admin/evenements/{event_id}"))
    assert 'value="Réunion de rentrée"' in page
    response = post_form(admin, f"/admin/evenements/{event_id}",
                         {**VALID, "title": "Réunion de rentrée (changée)"})
    assert response.status_code == 303
    [event] = events_in_db(app)
    assert event.title == "Réunion de rentrée (changée)"
    assert event.class_id == "course-6a"  # the form does not move a class event

    bad = post_form(admin, f"/admin/evenements/{event_id}", {**VALID, "ends_at": "1999-01-01"})
    assert bad.status_code == 400
    assert events_in_db(app)[0].title == "Réunion de rentrée (changée)"

    confirm = admin.get(f"/admin/evenements/{event_id}/supprimer")
    assert confirm.status_code == 200 and "Réunion de rentrée (changée)" in text_of(confirm)
    deleted = post_form(admin, f"/admin/evenements/{event_id}/supprimer", {})
    assert deleted.status_code == 303
    assert events_in_db(app) == []
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(EventAttendance)) == 0


def test_admin_never_reaches_another_platform_events(app, admin):
    other = platform_id(app, other_platform(app))
    foreign = add_event(app, other, "Café d'une autre plateforme")
    assert "Café d'une autre plateforme" not in text_of(admin.get("/admin/evenements"))
    for url in (f"/admin/evenements/{foreign}", f"/admin/evenements/{foreign}/supprimer"):
        assert admin.get(url).status_code == 404
    token = csrf_of(text_of(admin.get("/admin/evenements/nouveau")))
    edit = admin.post(f"/admin/evenements/{foreign}", data={**VALID, "csrf_token": token})
    delete = admin.post(f"/admin/evenements/{foreign}/supprimer", data={"csrf_token": token})
    assert edit.status_code == 404 and delete.status_code == 404
    [event] = events_in_db(app)
    assert event.title == "Café d'une autre plateforme"


@pytest.mark.parametrize("persona", ["parent", "teacher", "learner"])
def test_other_audiences_get_403_on_every_admin_route(app, launcher, platform, persona):
    event_id = add_event(app, platform_id(app, platform), "Café")
    client = signed_in(app, launcher, persona)
    with client.session_transaction() as session:  # a valid token: the 403 is the audience's
        session["csrf"] = token = "known-token"
    for url in ("/admin/evenements", "/admin/evenements/nouveau",
                f"/admin/evenements/{event_id}", f"/admin/evenements/{event_id}/supprimer"):
        got = client.get(url)
        assert got.status_code == 403, url
        assert 'data-error="forbidden"' in text_of(got)
    for url in ("/admin/evenements/nouveau", f"/admin/evenements/{event_id}",
                f"/admin/evenements/{event_id}/supprimer"):
        assert client.post(url, data={**VALID, "csrf_token": token}).status_code == 403, url
    assert [e.title for e in events_in_db(app)] == ["Café"]


def test_admin_form_needs_csrf(app, admin):
    refused = admin.post("/admin/evenements/nouveau", data=VALID)
    assert refused.status_code == 400
    assert 'data-error="csrf_failed"' in text_of(refused)
    assert events_in_db(app) == []
