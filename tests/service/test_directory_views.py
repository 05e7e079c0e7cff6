"""Directory pages: "go and see someone" in the ENT and on a school's public page, and the
admins' list/edit page; each platform sees only its own relays."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service import db
from service.directory.models import Relay
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_directory import (
    HOURS,
    REIMS,
    add_relay,
    add_school,
    other_platform,
    platform_id,
)


class _Page(HTMLParser):
    """Ids, headings and every URL a page would load by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.h1 = 0
        self.loads: list[str] = []
        self.labels: set[str] = set()
        self.inputs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        self.h1 += tag == "h1"
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.loads.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.loads.append(str(a["href"]))
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.inputs.append(str(a.get("id")))


def checked(response: Any) -> str:
    """The page parses, has one h1, unique ids, a label for each field, and loads nothing
    from another origin."""
    html = response.get_data(as_text=True)
    page = _Page()
    page.feed(html)
    assert page.h1 == 1
    assert len(page.ids) == len(set(page.ids))
    assert set(page.inputs) <= page.labels
    assert all(url.startswith("/") for url in page.loads), page.loads
    return html


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.fixture
def reims(app: Flask, platform: FakePlatform) -> int:
    pid = platform_id(app, platform)
    add_relay(app, pid, "Centre social Orgeval", 49.259, 4.032, phone="+33326000001",
              access="|walk_in|appointment|", appointment_url="https://rdv.example.fr/",
              languages="|ar|", fees="free", family=True)
    add_relay(app, pid, "Médiathèque Croix-Rouge", 49.24, 4.00, opening_hours="le mardi matin")
    add_relay(app, pid, "Awa, parent ressource", 49.26, 4.04, kind="parent_ressource",
              opening_hours="", phone="")
    return pid


# --- the parent's page in the ENT ----------------------------------------------------------------

def test_parent_finds_relays_near_a_postcode(client: FlaskClient, launcher: LaunchHelper,
                                             reims: int):
    launcher.as_(client, "parent")
    page = client.get("/aide/relais?q=51100")
    assert page.status_code == 200
    html = checked(page)
    assert 'data-audience="parent"' in html
    assert "Près de Reims (51100)" in html
    assert html.index("Centre social Orgeval") < html.index("Awa, parent ressource") \
        < html.index("Médiathèque Croix-Rouge")
    assert 'href="tel:+33326000001"' in html and '<bdi dir="ltr">03 26 00 00 01</bdi>' in html
    assert "Ouvert maintenant" in html or "Fermé maintenant" in html
    assert "Horaires : <bdi>le mardi matin</bdi>" in html  # unparsable: shown as they are
    assert "https://www.openstreetmap.org/?mlat=49.25900&amp;mlon=4.03200#map=17/49.25900/4.03200" \
        in html
    assert 'href="geo:49.25900,4.03200' in html
    assert "Vous pouvez venir sans rendez-vous" in html
    assert 'href="https://rdv.example.fr/"' in html and "Gratuit" in html
    assert "arabe" in html and "Parent ressource" in html
    assert "<iframe" not in html


def test_filters_and_the_form_works_without_javascript(client: FlaskClient,
                                                       launcher: LaunchHelper, reims: int):
    launcher.as_(client, "parent")
    html = checked(client.get("/aide/relais?q=Reims&langue=ar&gratuit=oui&familles=oui"))
    assert "Centre social Orgeval" in html and "Médiathèque" not in html
    assert '<option value="ar" selected>' in html
    assert '<form method="get"' in html and "<script" not in html
    none = checked(client.get("/aide/relais?q=Reims&accessible=oui"))
    assert "Aucun relais ne correspond" in none


def test_a_place_we_do_not_know_is_said_plainly(client: FlaskClient, launcher: LaunchHelper,
                                                reims: int):
    launcher.as_(client, "parent")
    html = checked(client.get("/aide/relais?q=Trifouilly"))
    assert "Nous ne trouvons pas « Trifouilly »" in html
    department = checked(client.get("/aide/relais?q=51999"))
    assert "relais du département 51" in department and "Centre social Orgeval" in department
    empty = checked(client.get("/aide/relais"))
    assert "Votre code postal ou votre commune" in empty and "card relay" not in empty


def test_hostile_input_is_escaped(client: FlaskClient, launcher: LaunchHelper, reims: int):
    launcher.as_(client, "parent")
    html = client.get("/aide/relais?q=<script>alert(1)</script>&langue=<b>").get_data(
        as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_the_page_and_all_it_loads_stay_light(client: FlaskClient, launcher: LaunchHelper,
                                              app: Flask, reims: int):
    for n in range(25):  # more than a page of results, each with a week of hours
        add_relay(app, reims, f"Espace numérique {n} avec un nom assez long", 49.25 + n / 1000,
                  4.03, access="|walk_in|phone|appointment|", appointment_url="https://r.fr/",
                  languages="|ar|en|", fees="free", family=True, accessible=True,
                  summary="Accueil, aide pour l'ENT et Pronote, ateliers pour les parents.",
                  email="contact@exemple.fr", website="https://exemple.fr/")
    launcher.as_(client, "parent")
    page = client.get("/aide/relais?q=51100")
    html = page.get_data()
    assert html.count(b'class="card relay"') == 20
    weight = len(gzip.compress(html))
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(url.decode()) as asset:
            weight += len(gzip.compress(asset.get_data()))
    assert weight < 15_000, weight


def test_only_people_of_the_ent_may_open_it(client: FlaskClient, launcher: LaunchHelper):
    assert 'data-error="session_missing"' in client.get("/aide/relais").get_data(as_text=True)
    launcher.as_(client, "learner")
    page = client.get("/aide/relais?q=51100")
    assert page.status_code == 403 and 'data-error="forbidden"' in page.get_data(as_text=True)
    for persona in ("teacher", "admin"):
        launcher.as_(client, persona)
        assert client.get("/aide/relais").status_code == 200


def test_a_parent_of_platform_b_never_sees_platform_a_s_relays(app: Flask, reims: int):
    other = other_platform(app)
    b = platform_id(app, other)
    add_relay(app, b, "Relais de B", 49.2585, 4.0320)
    client = https_client(app)
    LaunchHelper(app, other).as_(client, "parent")
    html = checked(client.get("/aide/relais?q=51100"))
    assert "Relais de B" in html
    for name in ("Centre social Orgeval", "Médiathèque", "Awa"):
        assert name not in html


# --- the school's public page --------------------------------------------------------------------

def test_public_page_lists_relays_near_the_school_without_login(app: Flask, reims: int):
    add_school(app, reims, "Collège Université", "univ51", 49.2435, 4.0618)
    client = https_client(app)
    page = client.get("/e/univ51/relais")
    assert page.status_code == 200
    html = checked(page)
    assert 'data-audience="public"' in html
    assert "Près de l'établissement" in html and "Collège Université" in html
    assert "Centre social Orgeval" in html and 'href="tel:+33326000001"' in html
    typed = checked(client.get("/e/univ51/relais?q=51100&familles=oui"))
    assert "Centre social Orgeval" in typed and "Médiathèque" not in typed


def test_public_page_of_a_school_shows_only_its_platform(app: Flask, reims: int):
    b = platform_id(app, other_platform(app))
    add_relay(app, b, "Relais de B", 49.2436, 4.0619)
    add_school(app, reims, "Collège A", "collegea", 49.2435, 4.0618)
    add_school(app, b, "Collège B", "collegeb", 49.2435, 4.0618)
    client = https_client(app)
    of_a = checked(client.get("/e/collegea/relais?q=51100"))
    of_b = checked(client.get("/e/collegeb/relais"))
    assert "Relais de B" not in of_a and "Centre social Orgeval" in of_a
    assert "Relais de B" in of_b and "Centre social Orgeval" not in of_b
    # B has no place in 51100 of its own: A's places never locate a postcode for B.
    assert "Centre social" not in checked(client.get("/e/collegeb/relais?q=51100"))


def test_public_page_of_a_school_without_coordinates_uses_its_postcode(app: Flask, reims: int):
    add_school(app, reims, "École sans position", "sanspos1", postcode="51100")
    html = checked(https_client(app).get("/e/sanspos1/relais"))
    assert "Centre social Orgeval" in html


def test_unknown_school_is_a_plain_404(client: FlaskClient):
    for slug in ("nope1234", "../etc", "x" * 40):
        page = client.get(f"/e/{slug}/relais")
        assert page.status_code == 404


# --- admin list / edit ----------------------------------------------------------------------------

def relay_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Relay)) or 0


@pytest.mark.parametrize("persona", ["parent", "teacher", "learner"])
def test_admin_pages_are_for_admins(client: FlaskClient, launcher: LaunchHelper, reims: int,
                                    persona: str):
    launcher.as_(client, persona)
    for url in ("/admin/relais", "/admin/relais/nouveau", "/admin/relais/1"):
        page = client.get(url)
        assert page.status_code == 403 and 'data-error="forbidden"' in page.get_data(as_text=True)


def test_admin_lists_searches_and_pages(client: FlaskClient, launcher: LaunchHelper,
                                        app: Flask, reims: int):
    for n in range(55):
        add_relay(app, reims, f"Lieu {n:02d}", 45.0, 5.0, postcode="38000", commune="Grenoble",
                  commune_key="grenoble")
    launcher.as_(client, "admin")
    html = checked(client.get("/admin/relais"))
    assert 'data-audience="admin"' in html and "58 relais" in html and "Page 1 sur 2" in html
    assert "Centre social Orgeval" in html and "Lieu 47" in html  # by name
    second = checked(client.get("/admin/relais?page=2"))
    assert "Lieu 47" not in second and "Lieu 48" in second and "Médiathèque" in second
    found = checked(client.get("/admin/relais?q=orgeval"))
    assert "1 relais" in found and "Centre social Orgeval" in found
    assert "55 relais" in checked(client.get("/admin/relais?q=grenoble"))
    assert "55 relais" in checked(client.get("/admin/relais?q=38"))
    assert "0 relais" in checked(client.get("/admin/relais?q=%25_"))
    assert client.get("/admin/relais?page=abc").status_code == 200


def test_admin_adds_a_parent_ressource_placed_at_its_postcode(client: FlaskClient,
                                                              launcher: LaunchHelper,
                                                              app: Flask, reims: int):
    launcher.as_(client, "admin")
    form = checked(client.get("/admin/relais/nouveau"))
    sent = client.post("/admin/relais/nouveau", data={
        "csrf_token": csrf_of(form), "kind": "parent_ressource", "name": "Fatima, maman relais",
        "postcode": "51100", "commune": "Reims", "phone": "06 12 34 56 78",
        "languages": ["ar", "tr"], "access": ["phone"], "fees": "free", "family": "yes",
        "opening_hours": "We 14:00-17:00",
    })
    assert sent.status_code == 303
    with app.app_context():
        relay = db.session().scalar(select(Relay).where(Relay.name == "Fatima, maman relais"))
        assert relay is not None and relay.platform_id == reims
        assert (relay.phone, relay.languages, relay.access) == ("+33612345678", "|ar|tr|",
                                                                "|phone|")
        assert relay.source_id is None and relay.active and relay.family
        assert relay.latitude is not None  # the centre of the platform's places in 51100
    launcher.as_(client, "parent")
    assert "Fatima, maman relais" in client.get("/aide/relais?q=51100&langue=tr").get_data(
        as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Ce champ est obligatoire."),
    ("phone", "12", "Ce numéro de téléphone n'est pas valable."),
    ("postcode", "5110", "Un code postal a 5 chiffres."),
    ("opening_hours", "le mardi", "Ces horaires ne sont pas lisibles."),
    ("website", "javascript:alert(1)", "Cette adresse web n'est pas valable"),
    ("email", "pas-une-adresse", "Cette adresse e-mail n'est pas valable."),
    ("latitude", "quarante", "Indiquez un nombre"),
    ("longitude", "", "Indiquez la latitude et la longitude, ou aucune des deux."),
    ("name", "x" * 201, "Entre 1 et 200 caractères."),
    ("kind", "ministre", "Choisissez un type de relais."),
    ("languages", "<script>", "Code de langue inconnu"),
])
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
        client: FlaskClient, launcher: LaunchHelper, app: Flask, reims: int,
        field: str, value: str, message: str):
    launcher.as_(client, "admin")
    token = csrf_of(client.get("/admin/relais/nouveau").get_data(as_text=True))
    data = {"csrf_token": token, "kind": "mediateur", "name": "Jules", "postcode": "51100",
            "commune": "Reims", "latitude": "49.25", "longitude": "4.03", field: value}
    before = relay_count(app)
    page = client.post("/admin/relais/nouveau", data=data)
    assert page.status_code == 400
    html = checked(page)
    assert 'id="error-summary"' in html and f'href="#field-{field}"' in html
    error = re.search(rf'<p class="error-message" id="error-{field}">([^<]*)</p>', html)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert relay_count(app) == before
    assert "<script>" not in html


def test_admin_edits_and_hides_then_shows_a_relay(client: FlaskClient, launcher: LaunchHelper,
                                                  app: Flask, reims: int):
    relay_id = add_relay(app, reims, "Ancien nom", *REIMS)
    launcher.as_(client, "admin")
    form = checked(client.get(f"/admin/relais/{relay_id}"))
    assert 'value="Ancien nom"' in form and HOURS in form
    token = csrf_of(form)
    bad = client.post(f"/admin/relais/{relay_id}", data={"csrf_token": token, "kind": "structure",
                                                         "name": "", "postcode": "51100",
                                                         "commune": "Reims"})
    assert bad.status_code == 400
    with app.app_context():
        assert db.session().get(Relay, relay_id).name == "Ancien nom"  # type: ignore[union-attr]
    good = client.post(f"/admin/relais/{relay_id}", data={
        "csrf_token": token, "kind": "structure", "name": "Nouveau nom", "postcode": "51100",
        "commune": "Reims", "latitude": "49.2583", "longitude": "4.0317"})
    assert good.status_code == 303
    hide = client.post(f"/admin/relais/{relay_id}/etat", data={"csrf_token": token, "active": "0"})
    assert hide.status_code == 303
    launcher.as_(client, "parent")
    assert "Nouveau nom" not in client.get("/aide/relais?q=51100").get_data(as_text=True)
    launcher.as_(client, "admin")
    token = csrf_of(client.get("/admin/relais?q=nouveau").get_data(as_text=True))
    client.post(f"/admin/relais/{relay_id}/etat", data={"csrf_token": token, "active": "1"})
    launcher.as_(client, "parent")
    assert "Nouveau nom" in client.get("/aide/relais?q=51100").get_data(as_text=True)


def test_a_post_without_csrf_token_changes_nothing(client: FlaskClient, launcher: LaunchHelper,
                                                  app: Flask, reims: int):
    relay_id = add_relay(app, reims, "Intact", *REIMS)
    launcher.as_(client, "admin")
    page = client.post(f"/admin/relais/{relay_id}/etat", data={"active": "0"})
    assert page.status_code == 400 and 'data-error="csrf_failed"' in page.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Relay, relay_id).active is True  # type: ignore[union-attr]


def test_an_admin_of_a_cannot_touch_a_relay_of_b(app: Flask, client: FlaskClient,
                                                 launcher: LaunchHelper, reims: int):
    b = platform_id(app, other_platform(app))
    theirs = add_relay(app, b, "Relais de B", *REIMS)
    launcher.as_(client, "admin")
    token = csrf_of(client.get("/admin/relais/nouveau").get_data(as_text=True))
    assert client.get(f"/admin/relais/{theirs}").status_code == 404
    edit = client.post(f"/admin/relais/{theirs}", data={
        "csrf_token": token, "kind": "structure", "name": "Piraté", "postcode": "51100",
        "commune": "Reims"})
    assert edit.status_code == 404
    hide = client.post(f"/admin/relais/{theirs}/etat", data={"csrf_token": token, "active": "0"})
    assert hide.status_code == 404
    assert "Relais de B" not in client.get("/admin/relais?q=relais").get_data(as_text=True)
    with app.app_context():
        relay = db.session().get(Relay, theirs)
        assert relay is not None and relay.name == "Relais de B" and relay.active


# --- command line ---------------------------------------------------------------------------------

def test_relays_add_and_list(app: Flask, runner: Any, reims: int):
    name = "https://moodle.example.org"
    added = runner.invoke(args=["relays", "add", "--platform", name, "--kind", "mediateur",
                                "--name", "Karim, conseiller numérique", "--postcode", "51100",
                                "--commune", "Reims", "--phone", "03 26 11 22 33",
                                "--languages", "ar,en", "--access", "walk_in,phone"])
    assert added.exit_code == 0, added.output
    assert "added relay" in added.output and "warning" not in added.output
    bad = runner.invoke(args=["relays", "add", "--platform", name, "--name", "X",
                              "--postcode", "ABCDE", "--commune", "Reims", "--phone", "1"])
    assert bad.exit_code == 1
    assert "postcode: Un code postal a 5 chiffres." in bad.output
    assert "phone: Ce numéro de téléphone n'est pas valable." in bad.output
    nowhere = runner.invoke(args=["relays", "add", "--platform", name, "--name", "Loin",
                                  "--postcode", "97400", "--commune", "Saint-Denis"])
    assert nowhere.exit_code == 0 and "warning: no coordinates" in nowhere.output
    listed = runner.invoke(args=["relays", "list", "--platform", name])
    lines = listed.output.strip().splitlines()
    assert len(lines) == 5
    assert any("Karim, conseiller numérique\t51100 Reims\t+33326112233\tar,en\tactive" in line
               for line in lines)
    only = runner.invoke(args=["relays", "list", "--platform", name, "--kind", "mediateur"])
    assert len(only.output.strip().splitlines()) == 1
