"""The parents' pages: home entries, help panel, guides, talk to someone, public school page."""

from __future__ import annotations

import gzip
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.platforms.models import Platform
from service.schools.models import School
from service.topics import CONNECTION_TOPICS, TOPICS
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform

CSS = Path(__file__).resolve().parents[2] / "service" / "static" / "relais.css"
BUDGET = 15 * 1024


class Page(HTMLParser):
    """The parts of a page the tests look at: headings, ids, links, form fields."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.html_attrs: dict[str, str | None] = {}
        self.body_attrs: dict[str, str | None] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if tag == "a":
            self.links.append(found.get("href") or "")
        if tag == "html":
            self.html_attrs = found
        if tag == "body":
            self.body_attrs = found


def page_of(response) -> Page:
    assert response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    assert page.tags["h1"] == 1
    assert page.tags["title"] == 1
    assert len(page.ids) == len(set(page.ids)), "ids must be unique"
    return page


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def platform_id(app: Flask, issuer: str) -> int:
    with app.app_context():
        return db.session().scalar(select(Platform.id).where(Platform.issuer == issuer))


def add_school(app: Flask, issuer: str, name: str, slug: str) -> int:
    pid = platform_id(app, issuer)
    with app.app_context(), db.transaction() as tx:
        tx.add(School(platform_id=pid, name=name, slug=slug))
    return pid


@pytest.fixture
def parent(client: FlaskClient, launcher: LaunchHelper) -> FlaskClient:
    launcher.as_(client, "parent")
    return client


@pytest.fixture
def school(app: Flask, platform: FakePlatform) -> str:
    add_school(app, platform.issuer, "Collège Jean Moulin", "jmoulin7")
    return "jmoulin7"


# --- parent home ---------------------------------------------------------------------------

def test_parent_home_shows_the_entries_and_no_dead_link(client, launcher: LaunchHelper):
    home = launcher.as_(client, "parent")
    page = page_of(home)
    text = text_of(home)
    for words in ("J'ai besoin d'aide", "Les prochains rendez-vous", "Retrouver ma demande"):
        assert words in text
    assert {"/aide", "/rendez-vous", "/demande"} <= set(page.links)
    # The wizard (service/onboarding) exists: its entry leads to it.
    assert "Prendre en main pas à pas" in text and "/pas-a-pas" in page.links
    assert page.tags["svg"] >= 2


def test_parent_home_hides_the_wizard_while_it_does_not_exist(app: Flask, client, launcher):
    del app.view_functions["onboarding.start"]  # as before service/onboarding existed
    home = launcher.as_(client, "parent")
    assert "Prendre en main pas à pas" not in text_of(home)
    assert "/pas-a-pas" not in page_of(home).links


# --- help panel and guides -----------------------------------------------------------------

def test_help_panel_lists_the_ten_topics(parent: FlaskClient):
    response = parent.get("/aide")
    assert response.status_code == 200
    page = page_of(response)
    assert page.body_attrs.get("data-audience") == "parent"
    guides = [link for link in page.links if link.startswith("/aide/") and link != "/aide/parler"]
    assert guides == [f"/aide/{code}" for code in TOPICS]
    assert len(guides) == 10
    text = text_of(response)
    for label in TOPICS.values():
        assert str(label) in text


@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_teachers_and_admins_may_preview_the_panel(client, launcher, persona: str):
    launcher.as_(client, persona)
    response = client.get("/aide")
    assert response.status_code == 200
    assert "Aperçu" in text_of(response)


def test_a_pupil_gets_the_403_page(client, launcher: LaunchHelper):
    launcher.as_(client, "learner")
    for url in ("/aide", "/aide/bourse", "/aide/parler"):
        response = client.get(url)
        assert response.status_code == 403
        assert 'data-error="forbidden"' in response.get_data(as_text=True)


def test_without_a_session_the_panel_says_so(client: FlaskClient):
    response = client.get("/aide")
    assert response.status_code == 401
    assert 'data-error="session_missing"' in response.get_data(as_text=True)


@pytest.mark.parametrize("topic", list(TOPICS))
def test_each_guide_renders_and_ends_with_talk_to_someone(parent: FlaskClient, topic: str):
    response = parent.get(f"/aide/{topic}")
    assert response.status_code == 200
    page = page_of(response)
    assert page.tags["ol"] == 1 and page.tags["li"] >= 2
    body = text_of(response)
    talk = f'href="/aide/parler?topic={topic}"'
    assert talk in body
    # Nothing but the end of the page after "Parler à quelqu'un".
    assert body.rindex("Parler à quelqu'un") > body.rindex("</ol>")
    assert page.links[-1] == f"/aide/parler?topic={topic}"


def test_an_unknown_topic_is_the_404_page(parent: FlaskClient):
    response = parent.get("/aide/horoscope")
    assert response.status_code == 404
    assert 'data-error="not_found"' in response.get_data(as_text=True)


def test_the_guide_shows_this_platform_links(app: Flask, platform: FakePlatform, parent):
    pid = platform_id(app, platform.issuer)
    app.config["PLATFORM_LINKS"] = {str(pid): {"ent_url": "https://ent.example.fr/"}}
    page = page_of(parent.get("/aide/connect_ent"))
    assert "https://ent.example.fr/" in page.links
    assert "https://educonnect.education.gouv.fr" in page.links


def test_a_guide_with_key_dates_shows_them(parent: FlaskClient):
    text = text_of(parent.get("/aide/bourse"))
    assert "Les dates à retenir" in text
    assert "De début septembre à mi-octobre" in text


def test_a_guide_not_yet_translated_is_shown_in_french_with_a_note(parent: FlaskClient):
    parent.get("/lang?to=pt&next=/aide/bourse")  # no Portuguese guides yet
    response = parent.get("/aide/bourse")
    assert 'lang="fr" dir="ltr"' in response.get_data(as_text=True)
    assert "La bourse" in text_of(response)


def test_an_arabic_guide_reads_right_to_left_in_arabic_without_a_note(parent: FlaskClient):
    parent.get("/lang?to=ar&next=/aide/bourse")
    response = parent.get("/aide/bourse")
    assert page_of(response).html_attrs.get("dir") == "rtl"
    assert 'lang="fr" dir="ltr"' not in response.get_data(as_text=True)
    assert "المنحة الدراسية" in text_of(response)
    assert "من بداية سبتمبر إلى منتصف أكتوبر" in text_of(response)


# --- talk to someone -----------------------------------------------------------------------

def test_talk_to_someone_offers_three_ways_without_email(parent: FlaskClient):
    response = parent.get("/aide/parler?topic=forgot_password")
    assert response.status_code == 200
    page = page_of(response)
    assert {"/aide/rappel?topic=forgot_password", "/aide/relais", "/rendez-vous"} <= set(page.links)
    text = text_of(response)
    for words in ("Être rappelé", "Aller voir quelqu'un près de chez moi",
                  "Venir à un rendez-vous", "Mot de passe ou codes oubliés"):
        assert words in text
    assert page.tags["input"] == 0 and page.tags["form"] == 0


def test_talk_to_someone_ignores_an_unknown_topic(parent: FlaskClient):
    response = parent.get("/aide/parler?topic=<script>")
    assert response.status_code == 200
    assert "/aide/rappel\"" in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)


# --- public school page --------------------------------------------------------------------

def test_public_page_of_a_school_needs_no_session(app: Flask, school: str):
    visitor = https_client(app)
    response = visitor.get(f"/e/{school}")
    assert response.status_code == 200
    page = page_of(response)
    assert page.body_attrs.get("data-audience") == "public"
    assert "Collège Jean Moulin" in text_of(response)
    for code in CONNECTION_TOPICS:
        assert f"/e/{school}/aide/{code}" in page.links
    assert {f"/e/{school}/rappel", f"/e/{school}/relais", f"/e/{school}/rendez-vous"} <= set(
        page.links)
    assert page.tags["form"] == 0 and page.tags["input"] == 0  # asks for nothing
    assert "relais_session" not in response.headers.get("Set-Cookie", "")


def test_public_page_shows_only_its_own_school(app: Flask, school: str):
    other = FakePlatform(issuer="https://ent.other.example", client_id="other")
    LaunchHelper(app).register(other)
    add_school(app, other.issuer, "Lycée Voltaire", "voltaire9")
    mine = text_of(https_client(app).get(f"/e/{school}"))
    theirs = text_of(https_client(app).get("/e/voltaire9"))
    assert "Collège Jean Moulin" in mine and "Lycée Voltaire" not in mine
    assert "Lycée Voltaire" in theirs and "Collège Jean Moulin" not in theirs


def test_public_guides_render_with_the_school_links(app: Flask, school: str):
    visitor = https_client(app)
    for code in TOPICS:
        response = visitor.get(f"/e/{school}/aide/{code}")
        assert response.status_code == 200
        page = page_of(response)
        assert page.body_attrs.get("data-audience") == "public"
        assert page.links[-1] == f"/e/{school}/parler?topic={code}"
    talk = visitor.get(f"/e/{school}/parler?topic=connect_ent")
    assert {f"/e/{school}/rappel?topic=connect_ent", f"/e/{school}/relais",
            f"/e/{school}/rendez-vous"} <= set(page_of(talk).links)


@pytest.mark.parametrize(
    "url", ["/e/nobody42", "/e/bad-slug", "/e/" + "a" * 40, "/e/nobody42/aide/bourse",
            "/e/nobody42/parler", "/e/%3Cb%3E"],
)
def test_unknown_or_malformed_slug_is_the_same_404_page(app: Flask, school: str, url: str):
    response = https_client(app).get(url)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'data-error="not_found"' in body
    assert "Collège Jean Moulin" not in body


def test_unknown_topic_on_a_public_page_is_the_404_page(app: Flask, school: str):
    response = https_client(app).get(f"/e/{school}/aide/horoscope")
    assert response.status_code == 404


def test_language_switch_works_on_the_public_page(app: Flask, school: str):
    visitor = https_client(app)
    page = page_of(visitor.get(f"/e/{school}"))
    switch = next(link for link in page.links if "to=ar" in link)
    assert switch.startswith("/lang?") and f"/e/{school}" in unescape(switch)
    back = visitor.get(unescape(switch))
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/e/{school}")
    arabic = page_of(visitor.get(f"/e/{school}"))
    assert arabic.html_attrs.get("dir") == "rtl" and arabic.html_attrs.get("lang") == "ar"


# --- weight --------------------------------------------------------------------------------

def test_a_guide_page_with_all_it_loads_is_under_15_kb_gzip(parent: FlaskClient, app, school):
    css = len(gzip.compress(CSS.read_bytes()))
    pages = [f"/aide/{code}" for code in TOPICS] + ["/aide", "/aide/parler?topic=bourse"]
    public = https_client(app)
    for url in pages:
        html = parent.get(url).get_data()
        assert len(gzip.compress(html)) + css < BUDGET, url
    for url in (f"/e/{school}", f"/e/{school}/aide/forgot_password"):
        html = public.get(url).get_data()
        assert len(gzip.compress(html)) + css < BUDGET, url
