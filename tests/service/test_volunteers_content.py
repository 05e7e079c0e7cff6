"""Briefings and event kits as content: every file parses with the guides' parser, French is
complete, the words say what matters (passwords stay with the parent, nothing decided in
their place, who takes over), sentences stay short; a broken file names its line. The
briefing pages open for parents, relays and admins, and for nobody else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from service.parents.guides import GuideError
from service.volunteers import content
from service.volunteers.content import (
    BRIEFINGS,
    KITS,
    check_lines,
    load_shelf,
    parse_briefing,
    parse_kit,
    with_overrides,
)
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_volunteers_support import (
    checked,
    error_of,
    platform_id,
    relay_client,
    signed_in,
    text,
)

PICTOS = ("person", "lock", "list", "pen", "calendar")
MAX_WORDS = 25


def words(sentence: str) -> int:
    return len(re.findall(r"[\wÀ-ÿ’'-]+", sentence))


def all_french_sentences() -> list[tuple[str, str]]:
    shelf = load_shelf()
    found = []
    for briefing in shelf.briefings["fr"].values():
        found += [(briefing.slug, briefing.title), (briefing.slug, briefing.summary)]
        found += [(briefing.slug, s) for step in briefing.steps for s in step.sentences]
    for kit in shelf.kits["fr"].values():
        found += [(kit.slug, kit.title), (kit.slug, kit.summary)]
        for section in kit.sections:
            found += [(kit.slug, section.title)] + [(kit.slug, line) for line in section.lines]
    return found


# --- the files --------------------------------------------------------------------------------


def test_every_briefing_and_kit_exists_in_french() -> None:
    shelf = load_shelf()
    assert set(shelf.briefings["fr"]) == set(BRIEFINGS)
    assert set(shelf.kits["fr"]) == set(KITS)


def test_the_briefings_say_what_matters_in_plain_french() -> None:
    shelf = load_shelf()

    def whole(slug: str) -> str:
        b = shelf.briefings["fr"][slug]
        return " ".join([b.title, b.summary, *(s for st in b.steps for s in st.sentences)])

    first = whole("premiere-connexion")
    assert "Play Store" in first and "App Store" in first and "EduConnect" in first
    assert "c'est lui qui le tape" in first
    with_not_for = whole("avec-jamais-a-la-place")
    assert "Ses mots de passe et ses codes restent à lui" in with_not_for
    assert "Vous ne décidez rien à sa place" in with_not_for
    assert "Aidants Connect" in with_not_for and "France Services" in with_not_for
    assert "professionnel habilité" in with_not_for
    cafe = whole("cafe-des-parents")
    assert "seulement un prénom" in cafe and "jamais de noms" in cafe
    little_french = whole("peu-de-francais")
    assert "Parlez lentement" in little_french and "arabe" in little_french
    # French typography: no line break before a colon or a question mark.
    assert "\u00a0:" in with_not_for and " :" not in with_not_for


def test_the_kits_hold_what_the_issue_asks_for() -> None:
    kits = load_shelf().kits["fr"]
    cafe = kits["cafe-des-parents"]
    assert cafe.event_kinds == ("cafe_parents",)
    theme = cafe.section("theme")
    assert theme is not None and theme.lines[0].startswith("Les vacances arrivent")
    assert "écrans et jeux vidéo" in theme.lines[0]
    ideas = cafe.section("alternatives")
    assert ideas is not None and len(ideas.lines) >= 6
    assert any("médiathèque" in line for line in ideas.lines)
    sheet = cafe.section("presence")
    assert sheet is not None and sheet.layout == "signin"
    assert "seulement votre prénom" in sheet.lines[0]

    stand = kits["stand-numerique"]
    assert stand.event_kinds == ("stand_numerique",)
    checklist = stand.section("avant")
    assert checklist is not None and checklist.layout == "checklist"
    joined = " ".join(checklist.lines)
    assert "chargés" in joined and "code QR" in joined and content.LINK_MARK in joined
    assert [s.layout for s in stand.sections][-2:] == ["poster", "card"]

    race = kits["course-orientation"]
    cards = race.section("cartes")
    assert cards is not None and len(cards.cards) == 8
    questions = " ".join(q for q, _ in cards.cards)
    assert "devoirs" in questions and "EduConnect" in questions and "aider" in questions
    assert all(answer and not answer.endswith("?") for _, answer in cards.cards)


def test_sentences_stay_short() -> None:
    long = [(slug, s) for slug, s in all_french_sentences() if words(s) > MAX_WORDS]
    assert long == []


@pytest.mark.parametrize(("slug", "pages"), [("cafe-des-parents", 2), ("stand-numerique", 3),
                                             ("course-orientation", 2)])
def test_each_kit_is_designed_for_a_number_of_pages(slug: str, pages: int) -> None:
    assert load_shelf().kits["fr"][slug].pages == pages


# --- what a broken file says ------------------------------------------------------------------

BRIEFING = """---
title: Une fiche
summary: Pour voir.
---
1. [person] Une phrase.
2. [lock] Une autre.
"""

KIT = """---
title: Un kit
event_kinds: [cafe_parents]
sections: [idees:list, presence:signin]
---
1. [list] Des idées
   Une idée.
2. [pen] Présence
   Votre prénom.
"""


def test_a_good_briefing_and_kit_parse() -> None:
    briefing = parse_briefing(BRIEFING, slug="x", locale="fr", pictos=PICTOS)
    assert briefing.title == "Une fiche" and len(briefing.steps) == 2
    kit = parse_kit(KIT, slug="x", locale="fr", pictos=PICTOS, event_kinds=["cafe_parents"])
    assert [s.title for s in kit.sections] == ["Des idées", "Présence"]
    assert kit.pages == 2


@pytest.mark.parametrize(("broken", "reason"), [
    (BRIEFING.replace("title: Une fiche\n", ""), "'title'"),
    (BRIEFING.replace("summary:", "audience: parents\nsummary:"), "unknown front matter"),
    (BRIEFING.replace("2. [lock] Une autre.\n", ""), "at least two steps"),
    (BRIEFING.replace("[lock]", "[dragon]"), "unknown pictogram"),
])
def test_a_broken_briefing_names_its_problem(broken: str, reason: str) -> None:
    with pytest.raises(GuideError, match=re.escape(reason)):
        parse_briefing(broken, slug="x", locale="fr", path="x.md", pictos=PICTOS)


@pytest.mark.parametrize(("broken", "reason"), [
    (KIT.replace("idees:list", "idees:table"), "expected key:layout"),
    (KIT.replace("idees:list", "presence:list"), "given twice"),
    (KIT.replace("[cafe_parents]", "[kermesse]"), "unknown event kind"),
    (KIT.replace(", presence:signin", ""), "1 sections announced, 2 written"),
    (KIT.replace("   Une idée.\n", ""), "empty"),
    (KIT.replace("idees:list", "idees:cards"), "cards_unpaired"),
    (KIT.replace("   Votre prénom.", "   A.\n   B.\n   C.\n   D."), "too_many_lines"),
])
def test_a_broken_kit_names_its_problem(broken: str, reason: str) -> None:
    with pytest.raises(GuideError, match=re.escape(reason)):
        parse_kit(broken, slug="x", locale="fr", path="x.md", pictos=PICTOS,
                  event_kinds=["cafe_parents"])


def test_a_file_for_an_unknown_briefing_or_a_missing_french_one_stops_loading(
    tmp_path: Path,
) -> None:
    briefings, kits = tmp_path / "briefings", tmp_path / "kits"
    for root in (briefings, kits):
        (root / "fr").mkdir(parents=True)
    (briefings / "fr" / "inconnue.md").write_text(BRIEFING)
    with pytest.raises(GuideError, match="unknown briefings 'inconnue'"):
        load_shelf(briefings, kits)
    (briefings / "fr" / "inconnue.md").unlink()
    with pytest.raises(GuideError, match="premiere-connexion.md:1: missing"):
        load_shelf(briefings, kits)


def test_a_platform_override_replaces_a_section_when_it_fits() -> None:
    kit = load_shelf().kits["fr"]["cafe-des-parents"]
    changed = with_overrides(kit, {"theme": "La rentrée : les devoirs à la maison\n\n  Un  mot.",
                                   "questions": "x" * 300})
    theme = changed.section("theme")
    assert theme is not None and theme.lines == ("La rentrée\u00a0: les devoirs à la maison",
                                                 "Un mot.")
    assert changed.section("questions") == kit.section("questions")  # too long: ignored
    assert check_lines("cards", ["Une question ?"]) == "cards_unpaired"
    assert check_lines("poster", ["a"] * 6) == "too_many_lines"
    assert check_lines("list", []) == "empty"


# --- the briefing pages -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["parent", "admin"])
def test_parents_and_admins_read_every_briefing(app: Flask, launcher: LaunchHelper,
                                                persona: str) -> None:
    client = signed_in(app, launcher, persona)
    listing = client.get("/benevoles/fiches")
    page = checked(listing)
    assert listing.status_code == 200 and page.body.get("data-audience") == persona
    for slug in BRIEFINGS:
        assert f'href="/benevoles/fiches/{slug}"' in text(listing)
        response = client.get(f"/benevoles/fiches/{slug}")
        checked(response)
        assert response.status_code == 200
        assert 'id="print-page" hidden' in text(response)  # shown by the script only


def test_a_relay_reads_the_briefings_until_their_link_ends(app: Flask, platform: FakePlatform
                                                           ) -> None:
    access = pytest.importorskip("service.relays.access")
    from service import db

    pid = platform_id(app, platform)
    client = relay_client(app, pid)
    response = client.get("/benevoles/fiches/avec-jamais-a-la-place")
    assert response.status_code == 200
    assert checked(response).body.get("data-audience") == "relay"
    assert "Aidants Connect" in text(response)
    with app.app_context(), db.transaction() as tx:
        from service.directory.models import Relay

        relay = tx.query(Relay).one()
        access.revoke(tx, pid, relay.id)
    response = client.get("/benevoles/fiches")
    assert (response.status_code, error_of(response)) == (401, "relay_access_ended")


@pytest.mark.parametrize("persona", ["teacher", "learner"])
def test_other_audiences_get_the_403_page(app: Flask, launcher: LaunchHelper,
                                          persona: str) -> None:
    client = signed_in(app, launcher, persona)
    for url in ("/benevoles/fiches", "/benevoles/fiches/premiere-connexion"):
        response = client.get(url)
        assert (response.status_code, error_of(response)) == (403, "forbidden")


def test_strangers_get_the_401_page_and_unknown_briefings_the_404(
    app: Flask, launcher: LaunchHelper
) -> None:
    from tests.conftest import https_client

    response = https_client(app).get("/benevoles/fiches")
    assert (response.status_code, error_of(response)) == (401, "session_missing")
    client = signed_in(app, launcher, "parent")
    for slug in ("inconnue", "..%2Fguides", "PREMIERE-CONNEXION"):
        response = client.get(f"/benevoles/fiches/{slug}")
        assert (response.status_code, error_of(response)) == (404, "not_found"), slug


def test_a_language_without_its_briefing_shows_the_french_one_and_says_so(
    app: Flask, launcher: LaunchHelper
) -> None:
    client = signed_in(app, launcher, "parent")
    client.get("/lang?to=ar&next=/home")
    response = client.get("/benevoles/fiches/peu-de-francais")
    page = text(response)
    assert response.status_code == 200 and 'dir="rtl"' in page
    assert '<h1 id="briefing-title" lang="fr" dir="ltr">' in page
