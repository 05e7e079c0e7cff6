"""Event kits in the service: relays and admins open and print them, for an event of their
platform or none; the school's public link goes on the poster and cards; an admin rewrites a
section for their platform only, a text that would break the printout is refused with its
reason and changes nothing, and an empty section goes back to the original."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from service import db
from service.events.models import Event
from service.schools.models import School
from service.volunteers.content import KITS
from service.volunteers.models import KitOverride
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import register_other
from tests.service.test_volunteers_support import (
    checked,
    csrf,
    error_of,
    platform_id,
    relay_client,
    signed_in,
    text,
)


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


def add_event(app: Flask, pid: int, title: str, kind: str = "cafe_parents", *,
              days: float = 3, school_id: int | None = None) -> int:
    start = datetime.now(UTC) + timedelta(days=days)
    with app.app_context(), db.transaction() as tx:
        event = Event(platform_id=pid, title=title, kind=kind, starts_at=start,
                      ends_at=start + timedelta(hours=2), place="Salle polyvalente",
                      school_id=school_id, languages=["fr"])
        tx.add(event)
        tx.flush()
        return event.id


def add_school(app: Flask, pid: int, slug: str, name: str = "Collège Jean Moulin") -> int:
    with app.app_context(), db.transaction() as tx:
        school = School(platform_id=pid, name=name, slug=slug)
        tx.add(school)
        tx.flush()
        return school.id


def test_relays_and_admins_open_every_kit(app: Flask, launcher: LaunchHelper, pid: int) -> None:
    for client, audience in ((relay_client(app, pid), "relay"),
                             (signed_in(app, launcher, "admin"), "admin")):
        listing = client.get("/benevoles/kits")
        assert checked(listing).body.get("data-audience") == audience
        for slug in KITS:
            assert f'href="/benevoles/kits/{slug}"' in text(listing)
            response = client.get(f"/benevoles/kits/{slug}")
            checked(response)
            assert response.status_code == 200, slug
        assert "Adapter les kits" in text(listing) if audience == "admin" else True


@pytest.mark.parametrize("persona", ["parent", "teacher", "learner"])
def test_other_audiences_get_the_403_page(app: Flask, launcher: LaunchHelper,
                                          persona: str) -> None:
    client = signed_in(app, launcher, persona)
    for url in ("/benevoles/kits", "/benevoles/kits/cafe-des-parents"):
        response = client.get(url)
        assert (response.status_code, error_of(response)) == (403, "forbidden"), url


def test_an_unknown_kit_is_the_404_page(app: Flask, launcher: LaunchHelper) -> None:
    client = signed_in(app, launcher, "admin")
    for url in ("/benevoles/kits/kermesse", "/admin/kits/kermesse"):
        response = client.get(url)
        assert (response.status_code, error_of(response)) == (404, "not_found"), url


def test_a_kit_carries_its_event_and_the_school_link(app: Flask, launcher: LaunchHelper,
                                                     pid: int) -> None:
    add_school(app, pid, "jmoulin")
    cafe = add_event(app, pid, "Café des parents de juin")
    stand = add_event(app, pid, "Fête de l'école", "stand_numerique", days=10)
    other = register_other(app)
    foreign = add_event(app, platform_id(app, other), "Café d'une autre plateforme")
    client = signed_in(app, launcher, "admin")

    listing = text(client.get("/benevoles/kits"))
    assert f"/benevoles/kits/cafe-des-parents?evenement={cafe}" in listing
    assert f"/benevoles/kits/stand-numerique?evenement={stand}" in listing
    assert f"/benevoles/kits/cafe-des-parents?evenement={stand}" not in listing
    # The orienteering kit serves every event.
    assert f"/benevoles/kits/course-orientation?evenement={cafe}" in listing
    assert "autre plateforme" not in listing

    page = text(client.get(f"/benevoles/kits/cafe-des-parents?evenement={cafe}"))
    assert "Café des parents de juin" in page and "Salle polyvalente" in page
    page = text(client.get(f"/benevoles/kits/cafe-des-parents?evenement={foreign}"))
    assert "autre plateforme" not in page
    for junk in ("abc", "9" * 40, "-1"):
        assert client.get(f"/benevoles/kits/cafe-des-parents?evenement={junk}"
                          ).status_code == 200

    poster = text(client.get(f"/benevoles/kits/stand-numerique?evenement={stand}"))
    assert "https://relais.example.fr/e/jmoulin" in poster  # the checklist and the card
    assert '<svg aria-hidden="true"' in poster and "relais.example.fr/e/jmoulin</p>" in poster
    assert "{lien}" not in poster


def test_without_a_known_school_the_kit_says_where_the_link_is(app: Flask,
                                                               launcher: LaunchHelper,
                                                               pid: int) -> None:
    add_school(app, pid, "ecole-a", "École A")
    add_school(app, pid, "ecole-b", "École B")
    client = signed_in(app, launcher, "admin")
    page = text(client.get("/benevoles/kits/stand-numerique"))
    assert "/e/" not in page and "{lien}" not in page
    assert "sur l'affiche de la classe" in page
    assert "choisissez un rendez-vous de l'établissement" in page
    school_b = select(School.id).where(School.slug == "ecole-b")
    with app.app_context():
        b = db.session().scalar(school_b)
    event = add_event(app, pid, "Fête de l'école B", "stand_numerique", school_id=b)
    page = text(client.get(f"/benevoles/kits/stand-numerique?evenement={event}"))
    assert "https://relais.example.fr/e/ecole-b" in page


# --- the admin's own words --------------------------------------------------------------------


def overrides(app: Flask) -> list[tuple[int, str, str, str]]:
    with app.app_context():
        return [(r.platform_id, r.kit, r.section, r.body) for r in db.session().scalars(
            select(KitOverride).order_by(KitOverride.id))]


def form_of(client_page: str) -> dict[str, str]:
    return {name: value.replace("'", "'").replace("&amp;", "&")
            for name, value in re.findall(r'<textarea id="field-[^"]+" name="([^"]+)"[^>]*>'
                                          r"([^<]*)</textarea>", client_page)}


def test_an_admin_rewrites_a_section_for_their_platform_only(
    app: Flask, launcher: LaunchHelper, pid: int
) -> None:
    client = signed_in(app, launcher, "admin")
    page = client.get("/admin/kits/cafe-des-parents")
    checked(page)
    form = form_of(text(page))
    assert set(form) == {"theme", "deroule", "alternatives", "questions", "presence"}
    assert form["theme"].startswith("Les vacances arrivent : écrans")  # typed back plainly

    # Saving the form unchanged stores nothing.
    response = client.post("/admin/kits/cafe-des-parents",
                           data={**form, "csrf_token": csrf(client)})
    assert response.status_code == 303
    assert "Rien n'a changé" in text(client.get("/admin/kits/cafe-des-parents"))
    assert overrides(app) == []

    form["theme"] = "La rentrée : les devoirs à la maison\nComment aider sans faire à la place ?"
    response = client.post("/admin/kits/cafe-des-parents",
                           data={**form, "csrf_token": csrf(client)})
    assert response.status_code == 303
    assert overrides(app) == [(pid, "cafe-des-parents", "theme", form["theme"])]
    printed = text(client.get("/benevoles/kits/cafe-des-parents"))
    assert "La rentrée\u00a0: les devoirs à la maison" in printed
    assert "Les vacances arrivent" not in printed
    assert "Ce texte est celui de votre plateforme" in text(
        client.get("/admin/kits/cafe-des-parents"))

    other = register_other(app)
    other_admin = signed_in(app, LaunchHelper(app, other), "admin")
    assert "Les vacances arrivent" in text(other_admin.get("/benevoles/kits/cafe-des-parents"))

    # Back to the original: the section's own button, or an empty text.
    response = client.post("/admin/kits/cafe-des-parents",
                           data={**form, "reset": "theme",
                                 "csrf_token": csrf(client)})
    assert response.status_code == 303 and overrides(app) == []
    client.post("/admin/kits/cafe-des-parents",
                data={"questions": "Une seule question ?",
                      "csrf_token": csrf(client)})
    assert [o[2] for o in overrides(app)] == ["questions"]
    client.post("/admin/kits/cafe-des-parents",
                data={"questions": "  \n ", "csrf_token": csrf(client)})
    assert overrides(app) == []


@pytest.mark.parametrize(("kit", "section", "body", "says"), [
    ("course-orientation", "cartes", "Une question sans réponse ?",
     "Il manque une réponse"),
    ("stand-numerique", "affiche", "\n".join(f"Ligne {n}" for n in range(8)),
     "5 au plus"),
    ("cafe-des-parents", "alternatives", "x" * 300, "220 caractères au plus"),
])
def test_a_text_that_would_break_the_printout_is_refused(
    app: Flask, launcher: LaunchHelper, kit: str, section: str, body: str, says: str
) -> None:
    client = signed_in(app, launcher, "admin")
    form = form_of(text(client.get(f"/admin/kits/{kit}")))
    response = client.post(f"/admin/kits/{kit}", data={
        **form, section: body, "theme": "Un autre thème",
        "csrf_token": csrf(client)})
    assert (response.status_code, error_of(response)) == (400, "form_invalid")
    page = checked(response)
    assert page.title.startswith("Erreur")
    assert says.replace("'", "'") in text(response)
    assert f'href="#field-{section}"' in text(response)
    assert overrides(app) == []  # nothing stored, not even the sections that fit
