"""Events: who sees which (platform, school, class), "J'y serai" counts and stores nothing
personal, the .ics file is valid and scoped, plain French dates."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select

from service import db
from service.events import services
from service.events.dates import PARIS, day_label, when
from service.events.ics import escape_text, fold
from service.events.models import Event, EventAttendance
from service.platforms.models import Platform
from service.schools.models import School
from service.schools.services import create_school
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform

SOON = datetime.now(UTC) + timedelta(days=3)


# --- helpers (also used by test_events_admin.py) ------------------------------------------------

def platform_id(app: Flask, fake: FakePlatform) -> int:
    with app.app_context():
        found = db.session().scalar(select(Platform.id).where(Platform.issuer == fake.issuer))
        assert found is not None
        return found


def add_school(app: Flask, pid: int, name: str) -> School:
    with app.app_context():
        return create_school(pid, {"name": name, "postcode": "69008", "commune": "Lyon"})


def add_event(app: Flask, pid: int, title: str, *, school_id: int | None = None,
              class_id: str | None = None, start: datetime | None = None,
              hours: float = 2, **extra: Any) -> int:
    start = start or SOON
    data = {"title": title, "kind": "cafe_parents", "starts_at": start,
            "ends_at": start + timedelta(hours=hours), "school_id": school_id,
            "class_id": class_id, "languages": ["fr"], **extra}
    with app.app_context():
        return services.create_event(pid, data, created_by="test").id


def other_platform(app: Flask) -> FakePlatform:
    other = FakePlatform(issuer="https://ent.other.example", client_id="other")
    LaunchHelper(app).register(other)
    return other


def signed_in(app: Flask, launcher: LaunchHelper, persona: str = "parent", *,
              fake: FakePlatform | None = None, **claims: Any) -> FlaskClient:
    client = https_client(app)
    response = launcher.launch(client, persona, fake=fake, **claims)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def text_of(response: Any) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ")


def assert_unique_ids(page: str) -> None:
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert not [i for i, n in ids.items() if n > 1], ids


@pytest.fixture
def world(app: Flask, platform: FakePlatform) -> dict[str, Any]:
    """Platform A with schools X and Y and events of every scope; platform B with one."""
    a = platform_id(app, platform)
    b_fake = other_platform(app)
    b = platform_id(app, b_fake)
    x = add_school(app, a, "Collège X")
    y = add_school(app, a, "Collège Y")
    return {
        "a": a, "b": b, "b_fake": b_fake, "x": x, "y": y,
        "a_wide": add_event(app, a, "Café de toute la plateforme A"),
        "a_x": add_event(app, a, "Stand du collège X", school_id=x.id),
        "a_y": add_event(app, a, "Atelier du collège Y", school_id=y.id),
        "a_6a": add_event(app, a, "Réunion de la 6e A", class_id="course-6a"),
        "a_6b": add_event(app, a, "Réunion de la 6e B", class_id="course-6b"),
        "a_past": add_event(app, a, "Café déjà passé", start=SOON - timedelta(days=30)),
        "b_wide": add_event(app, b, "Café de la plateforme B"),
    }


def titles(events: list[Event]) -> set[str]:
    return {e.title for e in events}


# --- who sees what ---------------------------------------------------------------------------

def test_upcoming_is_scoped_by_platform_school_and_class(app: Flask, world: dict[str, Any]):
    with app.app_context():
        a, x = world["a"], world["x"]
        assert titles(services.upcoming(a)) == {"Café de toute la plateforme A"}
        assert titles(services.upcoming(a, school_id=x.id)) == {
            "Café de toute la plateforme A", "Stand du collège X"}
        assert titles(services.upcoming(a, school_id=x.id, class_id="course-6a")) == {
            "Café de toute la plateforme A", "Stand du collège X", "Réunion de la 6e A"}
        assert titles(services.upcoming(a, class_id="course-6b")) == {
            "Café de toute la plateforme A", "Réunion de la 6e B"}
        # Platform B never sees A's events, even with A's school or class ids.
        assert titles(services.upcoming(world["b"], school_id=x.id, class_id="course-6a")) == {
            "Café de la plateforme B"}


def test_upcoming_is_soonest_first_limited_and_skips_what_is_over(app: Flask, platform):
    a = platform_id(app, platform)
    now = datetime(2030, 3, 1, 12, tzinfo=UTC)
    for days in (5, 1, 3):
        add_event(app, a, f"Dans {days} jours", start=now + timedelta(days=days))
    add_event(app, a, "Commencé, pas fini", start=now - timedelta(hours=1), hours=2)
    add_event(app, a, "Fini", start=now - timedelta(hours=3), hours=2)
    with app.app_context():
        found = [e.title for e in services.upcoming(a, now=now, limit=3)]
    assert found == ["Commencé, pas fini", "Dans 1 jours", "Dans 3 jours"]


def test_a_platform_with_one_school_shows_its_events_in_the_ent(app: Flask, platform):
    a = platform_id(app, platform)
    x = add_school(app, a, "Collège X")
    with app.app_context():
        assert services.ent_school_id(a) == x.id
    add_school(app, a, "Collège Y")
    with app.app_context():
        assert services.ent_school_id(a) is None  # several schools: the launch cannot tell


def test_parent_sees_platform_and_own_class_events(app, launcher, world):
    client = signed_in(app, launcher, "parent")  # class course-6a
    page = client.get("/rendez-vous")
    assert page.status_code == 200
    html = text_of(page)
    assert 'data-audience="parent"' in html
    assert "Café de toute la plateforme A" in html
    assert "Réunion de la 6e A" in html
    for absent in ("Réunion de la 6e B", "Café de la plateforme B", "Café déjà passé",
                   # two schools on A: the ENT cannot tell which, so no school event shows
                   "Stand du collège X", "Atelier du collège Y"):
        assert absent not in html
    assert html.count("<h1") == 1
    assert_unique_ids(html)


def test_teacher_and_admin_see_the_page_a_pupil_does_not(app, launcher, world):
    for persona in ("teacher", "admin"):
        page = signed_in(app, launcher, persona).get("/rendez-vous")
        assert page.status_code == 200
        assert f'data-audience="{persona}"' in text_of(page)
    pupil = signed_in(app, launcher, "learner")
    refused = pupil.get("/rendez-vous")
    assert refused.status_code == 403
    assert 'data-error="forbidden"' in text_of(refused)
    ics = pupil.get(f"/rendez-vous/{world['a_wide']}.ics")
    assert ics.status_code == 403


def test_without_a_session_the_ent_page_says_so(client, world):
    page = client.get("/rendez-vous")
    assert page.status_code == 401
    assert 'data-error="session_missing"' in text_of(page)


def test_platform_b_parent_never_sees_platform_a(app, launcher, world):
    client = signed_in(app, launcher, "parent", fake=world["b_fake"])
    html = text_of(client.get("/rendez-vous"))
    assert "Café de la plateforme B" in html
    assert "plateforme A" not in html and "6e A" not in html


def test_public_page_shows_the_school_and_platform_events_only(client, world):
    page = client.get(f"/e/{world['x'].slug}/rendez-vous")
    assert page.status_code == 200
    html = text_of(page)
    assert 'data-audience="public"' in html
    assert "Collège X" in html
    assert "Café de toute la plateforme A" in html and "Stand du collège X" in html
    for absent in ("Atelier du collège Y", "Réunion de la 6e A", "Réunion de la 6e B",
                   "Café de la plateforme B", "Café déjà passé"):
        assert absent not in html
    assert_unique_ids(html)

    other = text_of(client.get(f"/e/{world['y'].slug}/rendez-vous"))
    assert "Atelier du collège Y" in other and "Stand du collège X" not in other


@pytest.mark.parametrize("slug", ["nope234", "x" * 40, "a-b", "%00"])
def test_public_page_of_an_unknown_school_is_404(client, world, slug):
    page = client.get(f"/e/{slug}/rendez-vous")
    assert page.status_code == 404
    assert 'data-error="not_found"' in text_of(page)


def test_page_says_when_nothing_is_planned(app, client, platform):
    school = add_school(app, platform_id(app, platform), "Collège Vide")
    html = text_of(client.get(f"/e/{school.slug}/rendez-vous"))
    assert "Aucun rendez-vous n'est prévu pour le moment" in html


def test_each_event_shows_date_place_languages_and_description(app, client, platform):
    a = platform_id(app, platform)
    school = add_school(app, a, "Collège X")
    start = datetime(2099, 12, 12, 10, tzinfo=PARIS)  # a Saturday
    add_event(app, a, "Café <b>des</b> parents", school_id=school.id, start=start,
              place="Salle polyvalente", languages=["fr", "ar"],
              description="Venez avec vos questions.\nOn vous aide.")
    html = text_of(client.get(f"/e/{school.slug}/rendez-vous"))
    assert "samedi 12 décembre 2099, de 10 h à 12 h" in html
    assert "Café des parents" in html  # the kind, in plain words
    assert "Café &lt;b&gt;des&lt;/b&gt; parents" in html  # the title, escaped
    assert "Salle polyvalente" in html
    assert '<span lang="ar">العربية</span>' in html and "Français" in html
    assert "Venez avec vos questions." in html
    assert "J'y serai" in html and "Ajouter à mon agenda" in html


def test_dates_read_like_plain_french():
    now = datetime(2026, 1, 5, tzinfo=UTC)
    saturday = datetime(2026, 12, 12, 10, tzinfo=PARIS)
    app = Flask(__name__)
    from flask_babel import Babel

    Babel(app)
    with app.test_request_context():
        assert when(saturday, saturday + timedelta(hours=2), now=now).replace("\xa0", " ") == (
            "samedi 12 décembre, de 10 h à 12 h")
        first = datetime(2026, 3, 1, 8, 30, tzinfo=PARIS)
        assert when(first, first + timedelta(minutes=90), now=now).replace("\xa0", " ") == (
            "dimanche 1er mars, de 8 h 30 à 10 h")
        assert when(saturday, saturday + timedelta(days=1), now=now).replace("\xa0", " ") == (
            "du samedi 12 décembre à 10 h au dimanche 13 décembre à 10 h")
        next_year = datetime(2027, 1, 9, 14, tzinfo=PARIS)
        assert "samedi 9 janvier 2027" in when(next_year, next_year + timedelta(hours=1), now=now)
        # Stored in UTC, shown in Paris time (summer time here: UTC+2).
        summer = datetime(2026, 6, 20, 8, tzinfo=UTC)
        assert when(summer, summer + timedelta(hours=1), now=now).replace("\xa0", " ") == (
            "samedi 20 juin, de 10 h à 11 h")
        # Until the sentence is translated, the whole of it stays French.
        assert when(saturday, saturday + timedelta(hours=2), "en", now=now).startswith(
            "samedi 12 décembre")
        assert day_label(saturday.date(), "en") == "Saturday, December 12"
        assert day_label(saturday.date(), "tr", with_year=True) == "12 Aralık 2026 Cumartesi"


# --- "J'y serai" -------------------------------------------------------------------------------

def attendance_rows(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session().execute(select(EventAttendance.__table__)).mappings().all()
        return [dict(r) for r in rows]


def test_going_counts_once_per_browser_and_stores_nothing_personal(app, launcher, world):
    event_id = world["a_wide"]
    client = signed_in(app, launcher, "parent")
    page = text_of(client.get("/rendez-vous"))
    token = csrf_of(page)
    said = client.post(f"/rendez-vous/{event_id}/j-y-serai", data={"csrf_token": token})
    assert said.status_code == 303
    assert said.headers["Location"].endswith(f"/rendez-vous#rdv-{event_id}")
    thanks = text_of(client.get("/rendez-vous"))
    assert "Merci, à bientôt !" in thanks
    client.post(f"/rendez-vous/{event_id}/j-y-serai", data={"csrf_token": token})  # again
    assert {r["event_id"]: r["count"] for r in attendance_rows(app)}[event_id] == 1

    someone_else = signed_in(app, launcher, "parent", sub="parent-2")
    token2 = csrf_of(text_of(someone_else.get("/rendez-vous")))
    someone_else.post(f"/rendez-vous/{event_id}/j-y-serai", data={"csrf_token": token2})
    assert {r["event_id"]: r["count"] for r in attendance_rows(app)}[event_id] == 2

    # The table can hold nothing but a counter: no user, no address, no time.
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine()).get_columns("event_attendance")}
    assert columns == {"event_id", "count"}
    for row in attendance_rows(app):
        assert set(row) == {"event_id", "count"}


def test_going_from_the_public_page(app, client, world):
    school = world["x"]
    page = text_of(client.get(f"/e/{school.slug}/rendez-vous"))
    response = client.post(f"/e/{school.slug}/rendez-vous/{world['a_x']}/j-y-serai",
                           data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    assert response.status_code == 200
    assert "Merci, à bientôt !" in text_of(response)
    assert {r["event_id"]: r["count"] for r in attendance_rows(app)}[world["a_x"]] == 1


def test_going_to_an_event_that_is_over_counts_nothing(app, client, world):
    school = world["x"]
    token = csrf_of(text_of(client.get(f"/e/{school.slug}/rendez-vous")))
    response = client.post(f"/e/{school.slug}/rendez-vous/{world['a_past']}/j-y-serai",
                           data={"csrf_token": token})
    assert response.status_code == 303
    assert sum(r["count"] for r in attendance_rows(app)) == 0


def test_going_needs_the_csrf_token(app, client, world):
    school = world["x"]
    refused = client.post(f"/e/{school.slug}/rendez-vous/{world['a_x']}/j-y-serai")
    assert refused.status_code == 400
    assert 'data-error="csrf_failed"' in text_of(refused)
    assert {r["event_id"]: r["count"] for r in attendance_rows(app)}[world["a_x"]] == 0


@pytest.mark.parametrize("key", ["a_y", "a_6a", "b_wide", "a_past_missing"])
def test_going_to_an_event_not_shown_here_is_404(app, client, world, key):
    school = world["x"]
    token = csrf_of(text_of(client.get(f"/e/{school.slug}/rendez-vous")))
    event_id = world.get(key, 999_999)
    refused = client.post(f"/e/{school.slug}/rendez-vous/{event_id}/j-y-serai",
                          data={"csrf_token": token})
    assert refused.status_code == 404
    assert 'data-error="not_found"' in text_of(refused)
    assert sum(r["count"] for r in attendance_rows(app)) == 0


def test_going_to_another_class_or_platform_event_in_the_ent_is_404(app, launcher, world):
    client = signed_in(app, launcher, "parent")
    token = csrf_of(text_of(client.get("/rendez-vous")))
    for key in ("a_6b", "b_wide", "a_x"):
        refused = client.post(f"/rendez-vous/{world[key]}/j-y-serai", data={"csrf_token": token})
        assert refused.status_code == 404, key
    assert sum(r["count"] for r in attendance_rows(app)) == 0


def test_counter_is_created_when_missing(app, platform):
    a = platform_id(app, platform)
    event_id = add_event(app, a, "Sans compteur")
    with app.app_context(), db.transaction() as tx:
        tx.execute(EventAttendance.__table__.delete())
    with app.app_context():
        services.count_going(event_id)
        services.count_going(event_id)
    assert attendance_rows(app) == [{"event_id": event_id, "count": 2}]


# --- .ics ------------------------------------------------------------------------------------

def parse_ics(body: bytes) -> list[tuple[str, str]]:
    """Checks the RFC 5545 framing and returns the unfolded (name;params, value) lines."""
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")  # only CRLF line ends
    physical = body[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, line  # octets
        line.decode("utf-8")  # folding never splits a character
    unfolded = body.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]
    lines = []
    for line in unfolded:
        name, _, value = line.partition(":")
        lines.append((name, value))
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_ics_is_a_valid_calendar(app, client, platform):
    a = platform_id(app, platform)
    school = add_school(app, a, "Collège X")
    start = datetime(2099, 12, 12, 10, tzinfo=PARIS)
    title = "Café, thé; et \\ questions"
    description = "مرحبا بكم جميعا، " * 12 + "\nDeuxième ligne"
    event_id = add_event(app, a, title, school_id=school.id, start=start,
                         place="Salle 1, rez-de-chaussée", languages=["fr", "ar"],
                         description=description)
    response = client.get(f"/e/{school.slug}/rendez-vous/{event_id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = parse_ics(response.data)
    names = [n for n, _ in lines]
    assert names[:2] == ["BEGIN", "VERSION"] and lines[0] == ("BEGIN", "VCALENDAR")
    assert lines[-1] == ("END", "VCALENDAR")
    assert names.count("BEGIN") == 2 and names.count("END") == 2
    assert ("BEGIN", "VEVENT") in lines and ("END", "VEVENT") in lines
    props = dict(lines)
    assert props["VERSION"] == "2.0" and props["PRODID"]
    assert props["UID"] == f"relais-event-{event_id}@relais.example.fr"
    assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"])
    assert props["DTSTART"] == "20991212T090000Z"  # 10 h in Paris, winter: UTC+1
    assert props["DTEND"] == "20991212T110000Z"
    assert props["SUMMARY"] == "Café\\, thé\\; et \\\\ questions"
    assert unescape(props["SUMMARY"]) == title
    assert unescape(props["LOCATION"]) == "Salle 1, rez-de-chaussée"
    assert unescape(props["DESCRIPTION"]).startswith(description)
    assert "On y parle : Français, العربية" in unescape(props["DESCRIPTION"])
    assert props["URL"] == f"https://relais.example.fr/e/{school.slug}/rendez-vous"


def test_ics_from_the_ent(app, launcher, world):
    client = signed_in(app, launcher, "parent")
    response = client.get(f"/rendez-vous/{world['a_6a']}.ics")
    assert response.status_code == 200
    assert dict(parse_ics(response.data))["SUMMARY"] == "Réunion de la 6e A"


def test_ics_is_404_across_tenants(app, client, launcher, world):
    parent = signed_in(app, launcher, "parent")
    for key in ("a_6b", "b_wide", "a_y"):
        refused = parent.get(f"/rendez-vous/{world[key]}.ics")
        assert refused.status_code == 404, key
        assert 'data-error="not_found"' in text_of(refused)
    x = world["x"].slug
    for key in ("a_y", "a_6a", "b_wide"):
        refused = client.get(f"/e/{x}/rendez-vous/{world[key]}.ics")
        assert refused.status_code == 404, key
    assert client.get(f"/e/{x}/rendez-vous/{world['a_x']}.ics").status_code == 200


def test_ics_text_escaping_and_folding():
    assert escape_text("a,b;c\\d\r\ne\nf\x07") == "a\\,b\\;c\\\\d\\ne\\nf"
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line).encode("utf-8").split(b"\r\n")
    assert all(len(part) <= 75 for part in folded)
    assert all(part.startswith(b" ") for part in folded[1:])
    assert b"".join(p[1:] if i else p for i, p in enumerate(folded)).decode() == line


def test_event_rows_hold_aware_utc_times(app, platform):
    a = platform_id(app, platform)
    start = datetime(2099, 7, 1, 18, 30, tzinfo=PARIS)
    event_id = add_event(app, a, "Heure d'été", start=start)
    with app.app_context():
        event = db.session().get(Event, event_id)
        assert event is not None
        assert event.starts_at == start and event.starts_at.tzinfo is not None
        assert event.starts_at.utcoffset() == timedelta(0)
        assert db.session().scalar(select(func.count()).select_from(Event)) == 1
