"""The guides' content: every topic in plain French, and a loader that refuses broken files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.parents.guides import (
    CONTENT_DIR,
    GuideError,
    known_pictos,
    load_library,
    parse_guide,
)
from service.parents.links import platform_links
from service.parents.views import TOPIC_PICTOS
from service.topics import TOPICS

FR = load_library().guides["fr"]
MAX_WORDS = 25
GOOD = """---
title: Un titre
summary: Un résumé.
links: [educonnect]
dates:
  - when: En mai
    what: Faire une chose.
---
1. [key] Une phrase.
   Une autre idée.
2. [phone] Encore une phrase.
"""


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_topic_has_a_french_guide_in_short_sentences(topic: str):
    guide = FR[topic]
    assert guide.title and guide.summary
    assert len(guide.steps) >= 2
    for number, step in enumerate(guide.steps, start=1):
        assert step.sentences and all(s.strip() for s in step.sentences), (topic, number)
        assert step.picto in known_pictos()
        for line in step.sentences:
            for sentence in _sentences(line):
                words = len(sentence.split())
                assert words <= MAX_WORDS, f"{topic} step {number}: {words} words: {sentence}"


@pytest.mark.parametrize(
    ("topic", "must_say"),
    [
        ("bourse", ["septembre", "mi-octobre"]),
        ("parcoursup", ["mi-janvier", "mi-mars"]),
        ("orientation", ["mai", "Affelnet"]),
    ],
)
def test_key_dates_are_given_where_they_matter(topic: str, must_say: list[str]):
    dates = FR[topic].dates
    assert dates
    said = " ".join(f"{d.when} {d.what}" for d in dates)
    for words in must_say:
        assert words in said, (topic, words)


@pytest.mark.parametrize("topic", ["forgot_password", "connect_ent"])
def test_educonnect_and_pronote_codes_are_told_apart(topic: str):
    text = " ".join(s for step in FR[topic].steps for s in step.sentences)
    assert "codes EduConnect" in text and "codes Pronote" in text
    assert "educonnect" in FR[topic].links


def test_free_email_providers_are_named_side_by_side():
    text = " ".join(s for step in FR["create_email"].steps for s in step.sentences)
    named = [p for p in ("Gmail", "GMX", "Laposte.net", "Outlook", "Proton Mail", "Yahoo")
             if p in text]
    assert len(named) >= 4
    assert named == sorted(named, key=str.lower)  # alphabetical: no provider put first


def test_the_words_stay_kind():
    for path in CONTENT_DIR.glob("*/*.md"):
        text = path.read_text(encoding="utf-8").lower()
        for unkind in ("en difficulté", "mal connecté", "illettr", "incapable", "cliquez"):
            assert unkind not in text, (path.name, unkind)


def test_every_topic_pictogram_exists():
    assert set(TOPIC_PICTOS) == set(TOPICS)
    assert set(TOPIC_PICTOS.values()) <= known_pictos()
    assert {"help", "steps", "calendar", "phone", "pin"} <= known_pictos()


def test_a_good_file_parses_with_its_dates_and_links():
    guide = parse_guide(GOOD, topic="bourse", locale="fr")
    assert guide.title == "Un titre"
    assert guide.links == ("educonnect",)
    assert [(d.when, d.what) for d in guide.dates] == [("En mai", "Faire une chose.")]
    assert guide.steps[0].sentences == ("Une phrase.", "Une autre idée.")
    assert guide.steps[1].picto == "phone"


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (GOOD.replace("title: Un titre\n", ""), "needs a 'title'"),
        (GOOD.replace("title: Un titre", "title:"), "needs a 'title'"),
        (GOOD.replace("---\n", "", 1), "starts with a '---'"),
        (GOOD.replace("\n---\n1.", "\n1."), "no closing"),
        (GOOD.replace("[key]", "[nothing_like_it]"), "unknown pictogram"),
        (GOOD.replace("2. [phone]", "3. [phone]"), "step 2 expected"),
        (GOOD.replace("links: [educonnect]", "links: [facebook]"), "unknown link"),
        (GOOD.replace("summary:", "colour: red\nsummary:"), "unknown front matter key"),
        (GOOD.replace("    what: Faire une chose.\n", ""), "a 'when' and a 'what'"),
        (GOOD.split("2. [phone]")[0], "at least two steps"),
        (GOOD.replace("1. [key]", "Bonjour\n1. [key]"), "expected a step"),
        (GOOD.replace("title: Un titre", "title: Un titre\ntitle: Deux"), "given twice"),
    ],
)
def test_a_broken_file_is_refused_with_its_line(broken: str, reason: str):
    with pytest.raises(GuideError) as caught:
        parse_guide(broken, topic="bourse", locale="fr", path="fr/bourse.md")
    assert reason in caught.value.reason
    assert str(caught.value).startswith("fr/bourse.md:")


def test_a_file_for_an_unknown_topic_stops_the_loading(tmp_path: Path):
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "bourse.md").write_text(GOOD, encoding="utf-8")
    assert set(load_library(tmp_path).guides["fr"]) == {"bourse"}
    (tmp_path / "fr" / "horoscope.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(GuideError, match="unknown topic 'horoscope'"):
        load_library(tmp_path)


def test_a_file_without_title_stops_the_loading(tmp_path: Path):
    (tmp_path / "pt").mkdir()
    (tmp_path / "pt" / "bourse.md").write_text(GOOD.replace("title: Un titre\n", ""),
                                                encoding="utf-8")
    with pytest.raises(GuideError, match="title"):
        load_library(tmp_path)


def test_a_language_without_the_guide_falls_back_to_french(tmp_path: Path):
    for locale in ("fr", "pt"):
        (tmp_path / locale).mkdir()
    (tmp_path / "fr" / "bourse.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "fr" / "parcoursup.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "pt" / "bourse.md").write_text(GOOD.replace("Un titre", "Um título"),
                                                encoding="utf-8")
    lib = load_library(tmp_path)
    assert (lib.find("bourse", "pt")[0].title, lib.find("bourse", "pt")[1]) == ("Um título", False)
    assert (lib.find("parcoursup", "pt")[0].locale, lib.find("parcoursup", "pt")[1]) == ("fr", True)
    assert lib.find("parcoursup", "fr")[1] is False
    assert lib.find("other", "fr") == (None, False)


def test_platform_links_come_from_settings_or_the_national_default(app):
    app.config["PLATFORM_LINKS"] = {
        "7": {"ent_url": "https://ent.example.fr", "pronote_url": "javascript:alert(1)"},
    }
    with app.test_request_context():
        mine = {link.name: link.url for link in platform_links(7, ["ent", "pronote", "educonnect"])}
        other = {link.name for link in platform_links(8, ["ent", "pronote", "educonnect"])}
    assert mine == {"ent": "https://ent.example.fr",
                    "educonnect": "https://educonnect.education.gouv.fr"}
    assert other == {"educonnect"}


def test_french_punctuation_never_starts_a_line():
    guide = parse_guide(GOOD.replace("Une phrase.", "Le service « Scolarité services » : oui ?"),
                        topic="bourse", locale="fr")
    nbsp = "\u00a0"
    assert guide.steps[0].sentences[0] == (
        f"Le service «{nbsp}Scolarité services{nbsp}»{nbsp}: oui{nbsp}?"
    )
    assert parse_guide(GOOD.replace("Une phrase.", "Why ?"), topic="bourse",
                       locale="en").steps[0].sentences[0] == "Why ?"
