"""Teachers: every teacher route is the launch's class only (class A never sees class B's
anything, even on the same platform), parents and pupils get the 403 page, the settings form
validates and stores nothing on error, class events, the flyer and its QR code."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service import db
from service.events import services as events
from service.events.models import Event
from service.platforms.models import Platform
from service.schools.models import School
from service.schools.services import create_school
from service.teachers.flyer import SENTENCES, qr_svg
from service.teachers.models import ClassSettings, ClassVisit
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform

CLASS_A = {"id": "course-6a", "label": "6A", "title": "Sixième A"}
CLASS_B = {"id": "course-6b", "label": "6B", "title": "Sixième B"}
SOON = datetime.now(UTC) + timedelta(days=5)

GET_ROUTES = ["/enseignant/classe", "/enseignant/rendez-vous", "/enseignant/affiche",
              "/enseignant/affiche?format=a5", "/enseignant/familles", "/enseignant/contenu"]
POST_ROUTES = ["/enseignant/classe", "/enseignant/rendez-vous",
               "/enseignant/rendez-vous/1/supprimer", "/enseignant/contenu",
               "/enseignant/contenu/annuler"]


# --- helpers (also used by the other test_teachers_* modules) ----------------------------------


class Page(HTMLParser):
    """What the tests check on every page: one h1, a title, unique ids, nonced scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.body: dict[str, str | None] = {}
        self.feed(html)

    svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svg_depth += 1
        # An SVG's <title> names the drawing, not the page.
        self.tags[f"svg:{tag}" if self.svg_depth else tag] += 1
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if tag == "script":
            self.scripts.append(found)
        if tag == "body":
            self.body = found

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg_depth -= 1


def page(response: Any, status: int = 200) -> Page:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:3000]
    assert response.mimetype == "text/html"
    parsed = Page(body)
    assert parsed.tags["h1"] == 1 and parsed.tags["title"] == 1
    assert len(parsed.ids) == len(set(parsed.ids)), "ids must be unique"
    assert all(s.get("nonce") for s in parsed.scripts), "every inline script has a nonce"
    return parsed


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def pid(app: Flask, fake: FakePlatform) -> int:
    with app.app_context():
        found = db.session().scalar(select(Platform.id).where(Platform.issuer == fake.issuer))
        assert found is not None
        return found


def teacher(launcher: LaunchHelper, client: FlaskClient, klass: dict[str, str] = CLASS_A,
            **claims: Any) -> FlaskClient:
    launcher.as_(client, "teacher", context=klass, **claims)
    return client


def csrf(client: FlaskClient) -> str:
    with client.session_transaction() as s:
        s.setdefault("csrf", "test-csrf-token")
        return str(s["csrf"])


def add_school(app: Flask, platform_id: int, name: str) -> School:
    with app.app_context():
        return create_school(platform_id, {"name": name, "postcode": "69008", "commune": "Lyon"})


def event_form(title: str = "Café des parents de la 6e A", **extra: str) -> dict[str, Any]:
    start = SOON.strftime("%Y-%m-%dT%H:%M")
    end = (SOON + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    return {"title": title, "kind": "cafe_parents", "starts_at": start, "ends_at": end,
            "place": "Salle 104", "languages": ["fr", "ar"], "description": "", **extra}


def settings_form(**extra: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"enabled": "yes", "topics": ["connect_ent", "forgot_password"],
                            "contact": "Le professeur principal répond le lundi.",
                            "flyer_languages": ["fr", "ar", "pt", "tr", "en"]}
    form.update(extra)
    return form


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


# --- who may open the teacher pages -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["parent", "learner"])
def test_parents_and_pupils_get_the_403_page_on_every_teacher_route(
    client: FlaskClient, launcher: LaunchHelper, persona: str
) -> None:
    launcher.as_(client, persona, context=CLASS_A)
    for url in GET_ROUTES:
        response = client.get(url)
        assert page(response, 403).body.get("data-error") == "forbidden", url
    for url in POST_ROUTES:
        response = post(client, url, event_form())
        assert page(response, 403).body.get("data-error") == "forbidden", url


def test_without_a_session_every_teacher_route_says_so(client: FlaskClient,
                                                       launcher: LaunchHelper) -> None:
    for url in GET_ROUTES:
        assert page(client.get(url), 401).body.get("data-error") == "session_missing"


def test_a_teacher_launch_without_a_class_is_told_to_open_it_from_a_class(
    client: FlaskClient, launcher: LaunchHelper
) -> None:
    from tests.lti.platform import DROP

    home = launcher.as_(client, "teacher", context=DROP)
    assert "Ouvrez Relais depuis la page d'une classe" in text(home)
    for url in GET_ROUTES[:5]:
        assert page(client.get(url), 400).body.get("data-error") == "class_missing", url


def test_the_teacher_home_links_to_the_class_pages(client: FlaskClient,
                                                   launcher: LaunchHelper) -> None:
    home = launcher.as_(client, "teacher", context=CLASS_A)
    body = text(home)
    for url in GET_ROUTES[:3] + ["/enseignant/familles"]:
        assert f'href="{url}"' in body
    for url in GET_ROUTES[:5]:
        page(client.get(url))


# --- class isolation ----------------------------------------------------------------------------


def test_a_teacher_of_class_a_never_sees_class_b(app: Flask, platform: FakePlatform,
                                                 launcher: LaunchHelper) -> None:
    add_school(app, pid(app, platform), "Collège Jean Moulin")
    a, b = https_client(app), https_client(app)
    teacher(launcher, a, CLASS_A)
    teacher(launcher, b, CLASS_B)
    assert post(a, "/enseignant/classe",
                settings_form(contact="Contact secret de la 6A")).status_code == 303
    assert post(a, "/enseignant/rendez-vous", event_form("Café de la 6A")).status_code == 303
    with app.app_context():
        event_a = db.session().scalar(select(Event.id).where(Event.title == "Café de la 6A"))
    # A parent of class A opens Relais: class A's dashboard counts them, B's does not.
    launcher.as_(https_client(app), "parent", context=CLASS_A)

    for url in GET_ROUTES[:5]:
        body = text(b.get(url))
        assert "Contact secret de la 6A" not in body and "Café de la 6A" not in body, url
        assert "Sixième A" not in body, url
    assert 'id="figure-opened"><th scope="row">Ont ouvert Relais</th>\n      <td>0' in text(
        b.get("/enseignant/familles"))
    assert 'id="figure-opened"><th scope="row">Ont ouvert Relais</th>\n      <td>1' in text(
        a.get("/enseignant/familles"))
    # B cannot delete A's event by its id: the same 404 as an event that does not exist.
    response = post(b, f"/enseignant/rendez-vous/{event_a}/supprimer")
    assert page(response, 404).body.get("data-error") == "not_found"
    assert page(post(b, "/enseignant/rendez-vous/999999/supprimer"), 404)
    with app.app_context():
        assert db.session().get(Event, event_a) is not None
        rows = db.session().scalars(select(ClassSettings)).all()
        assert {(r.class_id, r.contact) for r in rows} == {
            ("course-6a", "Contact secret de la 6A"), ("course-6b", "")}
    # A's own pages show A's things.
    assert "Contact secret de la 6A" in text(a.get("/enseignant/classe"))
    assert "Café de la 6A" in text(a.get("/enseignant/rendez-vous"))
    assert "Café de la 6A" in text(a.get("/enseignant/affiche"))


def test_the_same_class_id_on_another_platform_is_another_class(
    app: Flask, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    other = FakePlatform(issuer="https://ent.other.example", client_id="other")
    LaunchHelper(app).register(other)
    a, b = https_client(app), https_client(app)
    teacher(launcher, a, CLASS_A)
    launcher.as_(b, "teacher", fake=other, context=CLASS_A)
    post(a, "/enseignant/classe", settings_form(contact="Contact de la plateforme 1"))
    post(a, "/enseignant/rendez-vous", event_form("Café plateforme 1"))
    for url in GET_ROUTES[:5]:
        body = text(b.get(url))
        assert "Contact de la plateforme 1" not in body and "Café plateforme 1" not in body


def test_help_requests_are_counted_for_their_class_only(
    app: Flask, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    models = pytest.importorskip("service.help.models")
    platform_id = pid(app, platform)
    with app.app_context(), db.transaction() as tx:
        for n, (klass, status) in enumerate([("course-6a", "new"), ("course-6a", "contacted"),
                                             ("course-6a", "resolved"), ("course-6b", "new")]):
            tx.add(models.HelpRequest(platform_id=platform_id, class_id=klass, origin="ent",
                                      code=f"TEST000{n}", topic="connect_ent",
                                      channel="callback", language="fr", status=status))
    a = teacher(launcher, https_client(app), CLASS_A)
    b = teacher(launcher, https_client(app), CLASS_B)
    body_a, body_b = text(a.get("/enseignant/familles")), text(b.get("/enseignant/familles"))
    assert re.search(r'figure-requests_open">.*?<td>2</td>', body_a, re.S)
    assert re.search(r'figure-requests_closed">.*?<td>1</td>', body_a, re.S)
    assert re.search(r'figure-requests_open">.*?<td>1</td>', body_b, re.S)
    assert re.search(r'figure-requests_closed">.*?<td>0</td>', body_b, re.S)


# --- settings ----------------------------------------------------------------------------------


def test_settings_are_saved_and_shown_again(app: Flask, platform: FakePlatform,
                                            client: FlaskClient,
                                            launcher: LaunchHelper) -> None:
    teacher(launcher, client)
    page(client.get("/enseignant/classe"))
    response = post(client, "/enseignant/classe", settings_form(
        enabled="", topics=["bourse", "connect_ent"], flyer_languages=["ar", "fr"]))
    assert response.status_code == 303
    body = text(client.get("/enseignant/classe"))
    assert "Les réglages de la classe sont enregistrés." in body
    assert 'name="enabled" value="yes"' in body and 'value="yes" checked' not in body
    with app.app_context():
        row = db.session().scalar(select(ClassSettings))
        assert row is not None
        assert (row.enabled, row.topics, row.flyer_languages, row.updated_by) == (
            False, ["connect_ent", "bourse"], ["ar", "fr"], "teacher-1")
        assert row.title == "Sixième A"
    # All topics kept: stored as "all", so a topic added later shows too.
    post(client, "/enseignant/classe", settings_form(topics=list(__import__(
        "service.topics", fromlist=["TOPICS"]).TOPICS)))
    with app.app_context():
        assert db.session().scalar(select(ClassSettings.topics)) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [({"topics": []}, "topics"), ({"topics": ["nope"]}, "topics"),
     ({"contact": "x" * 501}, "contact"), ({"contact": "a\n" * 7}, "contact"),
     ({"school_id": "99999"}, "school_id"),
     ({"school_id": "abc"}, "school_id"), ({"flyer_languages": ["xx"]}, "flyer_languages"),
     ({"shown_stages": ["nope"]}, "shown_stages")],
)
def test_invalid_settings_say_which_field_and_store_nothing(
    app: Flask, platform: FakePlatform, client: FlaskClient, launcher: LaunchHelper,
    change: dict[str, Any], field: str
) -> None:
    add_school(app, pid(app, platform), "École A")
    add_school(app, pid(app, platform), "École B")  # two: the class's school is asked
    if field == "shown_stages":
        pytest.importorskip("service.onboarding.path")  # no wizard, no stages to choose
    teacher(launcher, client)
    response = post(client, "/enseignant/classe", settings_form(**change))
    parsed = page(response, 400)
    body = text(response)
    assert 'id="error-summary"' in body and f'href="#field-{field}"' in body
    assert f'id="field-{field}"' in body  # the summary's link leads somewhere
    assert "error-summary" in parsed.ids
    with app.app_context():
        row = db.session().scalar(select(ClassSettings))
        assert row is None or (row.contact == "" and row.topics is None)


def test_a_class_switched_off_shows_its_parents_a_short_page(
    app: Flask, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    add_school(app, pid(app, platform), "Collège Jean Moulin")
    post(teacher(launcher, https_client(app)), "/enseignant/classe", settings_form(enabled=""))
    parent = https_client(app)
    response = launcher.launch(parent, "parent", context=CLASS_A)
    assert response.status_code == 303 and response.headers["Location"] == "/classe-en-pause"
    response = parent.get("/classe-en-pause")
    page(response)
    body = text(response)
    assert "pas encore ouvert" in body and "/e/" in body
    # Another class of the platform is not affected.
    response = launcher.launch(https_client(app), "parent", context=CLASS_B)
    assert response.headers["Location"] == "/home"


def test_several_schools_the_teacher_picks_the_class_school(
    app: Flask, platform: FakePlatform, client: FlaskClient, launcher: LaunchHelper
) -> None:
    platform_id = pid(app, platform)
    add_school(app, platform_id, "École Jean Jaurès")
    college = add_school(app, platform_id, "Collège Jean Moulin")
    teacher(launcher, client)
    body = text(client.get("/enseignant/affiche"))
    assert "Choisir l'établissement de la classe" in body and "<svg" not in body
    assert 'name="school_id"' in text(client.get("/enseignant/classe"))
    assert post(client, "/enseignant/classe",
                settings_form(school_id=str(college.id))).status_code == 303
    body = text(client.get("/enseignant/affiche"))
    assert f"relais.example.fr/e/{college.slug}" in body


def test_another_platforms_school_cannot_be_picked(
    app: Flask, platform: FakePlatform, client: FlaskClient, launcher: LaunchHelper
) -> None:
    other = FakePlatform(issuer="https://ent.other.example", client_id="other")
    LaunchHelper(app).register(other)
    foreign = add_school(app, pid(app, other), "Collège d'ailleurs")
    add_school(app, pid(app, platform), "École A")
    add_school(app, pid(app, platform), "École B")
    teacher(launcher, client)
    response = post(client, "/enseignant/classe", settings_form(school_id=str(foreign.id)))
    page(response, 400)


# --- class events -------------------------------------------------------------------------------


def test_a_teacher_announces_and_removes_a_class_event(
    app: Flask, platform: FakePlatform, client: FlaskClient, launcher: LaunchHelper
) -> None:
    add_school(app, pid(app, platform), "Collège Jean Moulin")
    teacher(launcher, client)
    assert post(client, "/enseignant/rendez-vous", event_form()).status_code == 303
    response = client.get("/enseignant/rendez-vous")
    page(response)
    body = text(response)
    assert "Café des parents de la 6e A" in body and "Le rendez-vous est ajouté" in body
    with app.app_context():
        event = db.session().scalar(select(Event))
        assert event is not None
        assert (event.class_id, event.school_id, event.created_by) == ("course-6a", None,
                                                                      "teacher-1")
        event_id = event.id
        # A class event never shows on the school's public page.
        school = db.session().scalar(select(School))
        assert events.upcoming(event.platform_id, school_id=school.id if school else None) == []
    # The class's parents see it; another class's parents do not.
    parent = https_client(app)
    launcher.as_(parent, "parent", context=CLASS_A)
    assert "Café des parents de la 6e A" in text(parent.get("/rendez-vous"))
    other = https_client(app)
    launcher.as_(other, "parent", context=CLASS_B)
    assert "Café des parents de la 6e A" not in text(other.get("/rendez-vous"))

    assert post(client, f"/enseignant/rendez-vous/{event_id}/supprimer").status_code == 303
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Event)) == 0


def test_an_invalid_event_is_shown_again_with_its_errors(
    app: Flask, client: FlaskClient, launcher: LaunchHelper
) -> None:
    teacher(launcher, client)
    response = post(client, "/enseignant/rendez-vous",
                    event_form(title="", kind="nope"))
    page(response, 400)
    body = text(response)
    for field in ("title", "kind"):
        assert f'href="#field-{field}"' in body
    assert 'value="Salle 104"' in body  # what was typed is kept
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Event)) == 0


def test_forms_need_their_csrf_token(client: FlaskClient, launcher: LaunchHelper) -> None:
    teacher(launcher, client)
    response = client.post("/enseignant/classe", data=settings_form())
    assert page(response, 400).body.get("data-error") == "csrf_failed"


# --- visits -------------------------------------------------------------------------------------


def test_a_parent_launch_is_recorded_once_per_class(
    app: Flask, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    client = https_client(app)
    for _ in range(3):
        launcher.launch(client, "parent", context=CLASS_A)
    launcher.launch(client, "parent", context=CLASS_A, role_scope_mentor=["pupil-1", "pupil-2"])
    launcher.launch(client, "parent", context=CLASS_B)
    launcher.launch(client, "learner", context=CLASS_A)
    launcher.launch(client, "teacher", context=CLASS_A)
    with app.app_context():
        rows = db.session().scalars(select(ClassVisit).order_by(ClassVisit.class_id)).all()
        assert [(r.class_id, r.user_id, r.children_ids) for r in rows] == [
            ("course-6a", "parent-1", ["pupil-1", "pupil-2"]),
            ("course-6b", "parent-1", ["pupil-1"]),
        ]


# --- the flyer ----------------------------------------------------------------------------------


def test_the_flyer_has_the_qr_code_of_the_school_page_and_a_sentence_per_language(
    app: Flask, platform: FakePlatform, client: FlaskClient, launcher: LaunchHelper
) -> None:
    school = add_school(app, pid(app, platform), "Collège Jean Moulin")
    teacher(launcher, client)
    post(client, "/enseignant/rendez-vous", event_form("Café de rentrée"))
    response = client.get("/enseignant/affiche")
    parsed = page(response)
    body = response.get_data(as_text=True)
    link = f"https://relais.example.fr/e/{school.slug}"
    with app.test_request_context():
        assert str(qr_svg(link, title=f"Code QR vers {link}")) in body
    assert f"relais.example.fr/e/{school.slug}" in body
    for code, (_name, sentence, direction) in SENTENCES.items():
        assert f'<li lang="{code}" dir="{direction}">' in body
        assert unescape(sentence) in unescape(body)
    assert "Café de rentrée" in body
    assert 'class="flyer flyer-a4"' in body
    # The print button exists only with JavaScript: hidden in the HTML, shown by the script.
    assert '<button type="button" id="print-flyer" hidden>' in body
    assert len(parsed.scripts) == 1 and parsed.scripts[0].get("nonce")
    assert 'class="flyer flyer-a5"' in client.get("/enseignant/affiche?format=a5").get_data(
        as_text=True)
    assert 'class="flyer flyer-a4"' in client.get("/enseignant/affiche?format=zz").get_data(
        as_text=True)


def test_the_flyer_qr_code_decodes_to_the_school_link(app: Flask) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    link = "https://relais.example.fr/e/bcdfg23"
    code = segno.make(link, error="m", micro=False)
    scale = 8
    rows = [[0 if dark else 255 for dark in row for _ in range(scale)]
            for row in code.matrix_iter(scale=1, border=4) for _ in range(scale)]
    size = len(rows)
    image = memoryview(bytes(v for row in rows for v in row)).cast("B", (size, size))
    found = zxingcpp.read_barcodes(image)
    assert [r.text for r in found] == [link]


def test_the_flyer_without_a_school_says_what_is_missing(
    client: FlaskClient, launcher: LaunchHelper
) -> None:
    teacher(launcher, client)
    response = client.get("/enseignant/affiche")
    page(response)
    body = text(response)
    assert "Aucun établissement n'est encore enregistré" in body
    assert "<svg" not in body and "<script" not in body


def test_the_flyer_languages_follow_the_settings(
    app: Flask, platform: FakePlatform, client: FlaskClient, launcher: LaunchHelper
) -> None:
    add_school(app, pid(app, platform), "Collège Jean Moulin")
    teacher(launcher, client)
    post(client, "/enseignant/classe", settings_form(flyer_languages=["tr", "fr"]))
    body = client.get("/enseignant/affiche").get_data(as_text=True)
    assert re.findall(r'<li lang="(\w+)"', body) == ["tr", "fr"]


def test_the_wizard_stages_a_class_hides_are_stored(
    app: Flask, client: FlaskClient, launcher: LaunchHelper
) -> None:
    path = pytest.importorskip("service.onboarding.path")
    teacher(launcher, client)
    body = text(client.get("/enseignant/classe"))
    assert body.count('name="shown_stages"') == len(path.STAGE_IDS)
    shown = [s for s in path.STAGE_IDS if s != "dates"]
    assert post(client, "/enseignant/classe",
                settings_form(shown_stages=shown)).status_code == 303
    with app.app_context():
        from service.teachers.services import class_view

        row = db.session().scalar(select(ClassSettings))
        assert row is not None and row.hidden_stages == ["dates"]
        assert class_view(row.platform_id, "course-6a").hidden_stages == frozenset({"dates"})
        assert class_view(row.platform_id, "course-6b").hidden_stages == frozenset()


def test_an_event_that_ends_before_it_starts_is_refused(
    app: Flask, client: FlaskClient, launcher: LaunchHelper
) -> None:
    teacher(launcher, client)
    start = SOON.strftime("%Y-%m-%dT%H:%M")
    response = post(client, "/enseignant/rendez-vous", event_form(ends_at=start))
    page(response, 400)
    assert 'href="#field-ends_at"' in text(response)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Event)) == 0
