"""``relais events add|list|remove`` and the sandbox's demo school and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from service import db
from service.events.demo import DEMO_SLUG, seed_sandbox
from service.events.models import Event
from service.schools.models import School
from tests.service.test_events import add_school, platform_id, text_of

NAME = "https://moodle.example.org"


def events_in_db(app: Flask) -> list[Event]:
    with app.app_context():
        return list(db.session().scalars(select(Event).order_by(Event.id)))


def test_events_add_for_a_school(app, runner, platform):
    school = add_school(app, platform_id(app, platform), "Collège X")
    result = runner.invoke(args=[
        "events", "add", "--platform", NAME, "--title", "Stand numérique à la fête",
        "--kind", "stand_numerique", "--start", "2099-06-20T10:00", "--end", "2099-06-20T13:00",
        "--school", "Collège X", "--place", "Cour", "--languages", "fr,ar,pt",
    ])
    assert result.exit_code == 0, result.output
    [event] = events_in_db(app)
    assert event.school_id == school.id and event.class_id is None
    assert event.languages == ["fr", "ar", "pt"] and event.created_by == "cli"
    assert event.starts_at == datetime(2099, 6, 20, 8, tzinfo=UTC)  # Paris summer time
    listed = runner.invoke(args=["events", "list", "--platform", NAME])
    assert f"{event.id}\t2099-06-20 10:00\tstand_numerique" in listed.output
    assert "going=0" in listed.output
    removed = runner.invoke(args=["events", "remove", "--platform", NAME, str(event.id)])
    assert removed.exit_code == 0 and events_in_db(app) == []


def test_events_add_with_an_offset_and_for_a_class(app, runner, platform):
    result = runner.invoke(args=[
        "events", "add", "--platform", NAME, "--title", "Réunion de la 6e A", "--kind", "reunion",
        "--start", "2099-01-10T17:00+01:00", "--end", "2099-01-10T19:00+01:00",
        "--class", "course-6a",
    ])
    assert result.exit_code == 0, result.output
    [event] = events_in_db(app)
    assert event.class_id == "course-6a" and event.school_id is None
    assert event.languages == ["fr"]


def test_events_add_rejects_bad_input_and_writes_nothing(app, runner, platform):
    base = ["events", "add", "--platform", NAME, "--title", "Café", "--kind", "cafe_parents"]
    cases = [
        (["--start", "2099-01-10T10:00", "--end", "2099-01-10T09:00"], "ends_at:"),
        (["--start", "demain", "--end", "2099-01-10T09:00"], "starts_at:"),
        (["--start", "2099-01-10T10:00", "--end", "2099-01-10T12:00", "--languages", "fr,xx"],
         "languages:"),
        (["--start", "2099-01-10T10:00", "--end", "2099-01-10T12:00", "--school", "Nulle part"],
         "no school named"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=[*base, *extra])
        assert result.exit_code != 0, extra
        assert message in result.output, result.output
    short = runner.invoke(args=["events", "add", "--platform", NAME, "--title", "Ca",
                                "--kind", "cafe_parents", "--start", "2099-01-10T10:00",
                                "--end", "2099-01-10T12:00"])
    assert short.exit_code != 0 and "title:" in short.output
    bad_kind = runner.invoke(args=["events", "add", "--platform", NAME, "--title", "Café",
                                   "--kind", "kermesse", "--start", "2099-01-10T10:00",
                                   "--end", "2099-01-10T12:00"])
    assert bad_kind.exit_code != 0
    unknown = runner.invoke(args=["events", "add", "--platform", "Nowhere", "--title", "Café",
                                  "--kind", "atelier", "--start", "2099-01-10T10:00",
                                  "--end", "2099-01-10T12:00"])
    assert unknown.exit_code != 0 and "no platform named" in unknown.output
    assert events_in_db(app) == []


def test_sandbox_seed_is_idempotent_and_in_the_coming_weeks(app, client, platform):
    a = platform_id(app, platform)
    now = datetime.now(UTC)
    with app.app_context():
        seed_sandbox(a)
        seed_sandbox(a)
        schools = list(db.session().scalars(select(School)))
    [school] = schools
    assert school.slug == DEMO_SLUG and school.postcode == "69008" and school.commune == "Lyon"
    assert school.latitude and school.longitude
    events = events_in_db(app)
    assert sorted(e.kind for e in events) == ["cafe_parents", "stand_numerique"]
    for event in events:
        assert now < event.starts_at < now + timedelta(weeks=5)
        assert event.school_id == school.id
    html = text_of(client.get(f"/e/{DEMO_SLUG}/rendez-vous"))
    assert "Café des parents : les écrans pendant les vacances" in html
    assert "Stand numérique à la fête du collège" in html

    # Once they are over, a later start adds new ones.
    with app.app_context():
        seed_sandbox(a, now=now + timedelta(weeks=6))
    assert len(events_in_db(app)) == 4
