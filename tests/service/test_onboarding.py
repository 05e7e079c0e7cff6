"""The wizard's path and words: every branch reaches the end, every step exists in plain
French, and the loader refuses an empty step, a missing French step or a broken translation."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from service.onboarding import calendar
from service.onboarding.content import CONTENT_DIR, load_steps, parse_step
from service.onboarding.path import (
    CHOICES,
    DEVICES,
    DONE,
    EMAIL_CHOICES,
    FIRST,
    STAGES,
    TOOLS,
    Branch,
    all_branches,
    all_step_ids,
    next_stage,
    parse_tools,
    path,
)
from service.onboarding.services import advance
from service.onboarding.views import CHOICE_PICTOS
from service.parents.guides import GuideError, known_pictos
from service.topics import TOPICS

FR = load_steps().steps["fr"]
MAX_WORDS = 20  # the wizard is read on a phone, one step at a time: shorter than the guides
GOOD = """---
title: Un titre
goal: Un but, en une phrase.
---
1. [key] Une phrase.
   Une autre idée.
2. [phone] Encore une phrase.
"""


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s]


# --- the path ------------------------------------------------------------------------------

def test_the_default_android_path_has_eight_steps_in_the_issue_order():
    steps = [p.step for p in path(Branch(device="android", email="has"))]
    assert steps == [
        "device", "email", "account-educonnect", "install-android-pronote",
        "login-educonnect-pronote", "follow-pronote", "alerts-android", "dates",
    ]


@pytest.mark.parametrize("branch", list(all_branches()), ids=repr)
def test_every_branch_has_about_eight_steps_each_in_french(branch: Branch):
    steps = path(branch)
    assert 8 <= len(steps) <= 9
    assert [p.number for p in steps] == list(range(1, len(steps) + 1))
    for p in steps:
        assert p.step in FR, f"{branch}: step {p.step!r} has no French file"
        assert p.stage.topic in TOPICS


def _walk(tools: frozenset[str], answers: dict[str, str | None], action: str,
          content: Mapping[str, object] = FR) -> list[str]:
    """Press ``action`` (or answer a choice) on each step from the first one, as a parent
    would; returns the steps met. Fails on a loop or on a step without content."""
    branch, here = Branch(tools=tools), FIRST
    done: frozenset[str] = frozenset()
    skipped: frozenset[str] = frozenset()
    met = []
    for _ in range(len(STAGES) + 1):
        if here == DONE:
            return met
        current = next(p for p in path(branch) if p.stage.id == here)
        assert current.step in content, f"no content for {current.step!r} after {met}"
        met.append(current.step)
        answer = answers.get(current.stage.choice or "")
        # No answer for a choice step: "C'est fait" would be refused, the parent passes it.
        pressed = "done" if answer else "skip" if current.stage.choice else action
        branch, here, done, skipped = advance(branch, here, pressed, answer, done, skipped)
    raise AssertionError(f"no end after {len(STAGES) + 1} presses: {met}")


TOOL_SETS = sorted({b.tools for b in all_branches()}, key=sorted)


@pytest.mark.parametrize("tools", TOOL_SETS, ids=lambda t: "+".join(sorted(t)) or "website")
@pytest.mark.parametrize("device", [*DEVICES, None])
@pytest.mark.parametrize("email", [*EMAIL_CHOICES, None])
def test_every_branch_walked_from_the_start_reaches_the_end(tools, device, email):
    answers = {"device": device, "email": email}
    met = _walk(tools, answers, "done")
    assert met == [p.step for p in path(Branch(device=device, email=email, tools=tools))]
    assert _walk(tools, answers, "skip")  # passing every step ends too


def test_a_broken_branch_is_caught():
    """The walk is a real check: a step without content on the way fails it."""
    broken = {k: v for k, v in FR.items() if k != "alerts-android"}
    with pytest.raises(AssertionError, match="no content for 'alerts-android'"):
        _walk(frozenset(TOOLS), {"device": "android"}, "done", broken)


def test_changing_an_answer_forgets_the_marks_of_the_steps_it_changed():
    branch = Branch(device="android", email="has")
    done = frozenset({"device", "email", "account", "install", "login"})
    branch, following, done, _ = advance(branch, "device", "done", "iphone", done, frozenset())
    assert branch.device == "iphone"
    assert "install" not in done and "account" in done
    assert following == "install"  # the first step not done after the answered one


def test_next_stage_passes_over_the_steps_done():
    branch = Branch(device="computer", email="has")
    assert next_stage(branch, "device", {"email", "account"}) == "install"
    assert next_stage(branch, "dates") == DONE


def test_tools_are_read_strictly():
    assert parse_tools(" pronote , educonnect ") == {"pronote", "educonnect"}
    assert parse_tools("") == frozenset()
    with pytest.raises(ValueError, match="unknown tool 'moodle'"):
        parse_tools("pronote,moodle")


# --- the words -----------------------------------------------------------------------------

def test_french_has_every_step_and_nothing_else():
    assert set(FR) == all_step_ids()


@pytest.mark.parametrize("step_id", sorted(all_step_ids()))
def test_every_step_is_one_goal_and_numbered_actions_in_short_sentences(step_id: str):
    step = FR[step_id]
    assert step.title and step.goal
    assert len(_sentences(step.goal)) == 1, step.goal
    assert len(step.actions) >= 2
    texts = [step.title, step.goal, step.question, *(c.label for c in step.choices),
             *(s for a in step.actions for s in a.sentences)]
    for number, action in enumerate(step.actions, start=1):
        assert action.picto in known_pictos()
        assert action.sentences and all(s.strip() for s in action.sentences), (step_id, number)
    for text in filter(None, texts):
        for sentence in _sentences(text):
            words = len(sentence.split())
            assert words <= MAX_WORDS, f"{step_id}: {words} words: {sentence}"


def test_the_words_stay_kind_and_fit_a_phone():
    for file in CONTENT_DIR.glob("*/*.md"):
        text = file.read_text(encoding="utf-8").lower()
        for unkind in ("en difficulté", "mal connecté", "illettr", "incapable", "cliquez"):
            assert unkind not in text, (file.name, unkind)


def test_the_issue_content_is_there():
    def said(step_id: str) -> str:
        s = FR[step_id]
        return " ".join([s.goal, *(x for a in s.actions for x in a.sentences)])

    assert "SMS" in said("account-educonnect") and "lettre" in said("account-educonnect")
    assert "ancien numéro" in said("account-educonnect")  # when the school's number is wrong
    assert "codes EduConnect" in said("login-educonnect-pronote")
    assert "codes Pronote" in said("login-educonnect-pronote")
    for words in ("devoirs", "notes", "messages", "absences"):
        assert words in said("follow-pronote").lower(), words
    assert "Parcoursup" in said("email-without")  # which services need an address
    assert "Félicitations" in FR["done"].goal


def test_free_email_providers_are_named_side_by_side():
    text = " ".join(s for a in FR["email-create"].actions for s in a.sentences)
    named = [p for p in ("Gmail", "GMX", "Laposte.net", "Outlook", "Proton Mail", "Yahoo")
             if p in text]
    assert len(named) >= 4
    assert named == sorted(named, key=str.lower)  # alphabetical: no provider put first


def test_choice_steps_offer_every_answer_with_a_pictogram():
    for choice, codes in CHOICES.items():
        assert sorted(c.code for c in FR[choice].choices) == sorted(codes)
        assert FR[choice].question
    assert set(CHOICE_PICTOS) == {c for codes in CHOICES.values() for c in codes}
    assert set(CHOICE_PICTOS.values()) <= known_pictos()


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (GOOD.split("2. [phone]")[0].split("1. [key]")[0], "at least 2 actions"),  # empty
        (GOOD.split("2. [phone]")[0], "at least 2 actions"),
        (GOOD.replace("title: Un titre\n", ""), "needs a 'title'"),
        (GOOD.replace("goal: Un but, en une phrase.\n", ""), "needs a 'goal'"),
        (GOOD.replace("goal:", "colour: red\ngoal:"), "unknown front matter key"),
        (GOOD.replace("[key]", "[nothing_like_it]"), "unknown pictogram"),
        (GOOD.replace("---\n1.", "question: Quoi ?\n---\n1."), "only a choice step"),
    ],
)
def test_a_broken_step_is_refused_with_its_line(broken: str, reason: str):
    with pytest.raises(GuideError) as caught:
        parse_step(broken, step_id="install-computer", locale="fr", path="fr/x.md")
    assert reason in caught.value.reason


def test_a_choice_step_must_offer_the_answers_the_path_knows():
    text = FR_TEXT("device").replace("  - none: Je n'ai pas d'appareil à moi\n", "")
    with pytest.raises(GuideError, match="exactly android, iphone, computer, none"):
        parse_step(text, step_id="device", locale="fr")


def FR_TEXT(step_id: str) -> str:  # noqa: N802 (reads like the constant it extends)
    return (CONTENT_DIR / "fr" / f"{step_id}.md").read_text(encoding="utf-8")


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "wizard"
    shutil.copytree(CONTENT_DIR, root)
    return root


def test_a_missing_french_step_stops_the_loading(tmp_path: Path):
    root = _copy(tmp_path)
    (root / "fr" / "install-iphone-web.md").unlink()
    with pytest.raises(GuideError, match="French misses the step 'install-iphone-web'"):
        load_steps(root)


def test_a_file_no_branch_meets_stops_the_loading(tmp_path: Path):
    root = _copy(tmp_path)
    (root / "fr" / "install-blackberry.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(GuideError, match="no branch of the path meets"):
        load_steps(root)


def test_other_languages_fall_back_to_french_explicitly(tmp_path: Path):
    root = _copy(tmp_path)
    (root / "pt").mkdir()
    (root / "pt" / "install-computer.md").write_text(
        GOOD.replace("Un titre", "Um título").replace("---\n1.", "links: [ent]\n---\n1."),
        encoding="utf-8")
    loaded = load_steps(root)
    own, fallback = loaded.find("install-computer", "pt")
    assert (own.title, own.locale, fallback) == ("Um título", "pt", False)
    french, fallback = loaded.find("dates", "pt")
    assert (french.locale, fallback) == ("fr", True)
    assert loaded.find("dates", "fr")[1] is False


def test_a_translation_must_offer_the_same_links(tmp_path: Path):
    root = _copy(tmp_path)
    (root / "pt").mkdir()
    (root / "pt" / "install-computer.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(GuideError, match="same choices and links as French"):
        load_steps(root)


def test_a_translation_must_offer_the_same_answers(tmp_path: Path):
    root = _copy(tmp_path)
    (root / "en").mkdir()
    (root / "en" / "email.md").write_text(
        FR_TEXT("email").replace("  - without:", "  - maybe:"), encoding="utf-8")
    with pytest.raises(GuideError, match="exactly has, create, without"):
        load_steps(root)


# --- the key dates -------------------------------------------------------------------------

def test_the_dates_step_gives_the_four_periods_in_words_and_dates():
    assert sorted(d.key for d in FR["dates"].dates) == sorted(calendar.KEY_DATES)
    words = " ".join(f"{d.when} {d.what}" for d in FR["dates"].dates)
    for expected in ("septembre", "mi-octobre", "mi-janvier", "mi-mars", "mai", "Affelnet",
                     "3e"):
        assert expected in words


@pytest.mark.parametrize(
    ("today", "bourse", "parcoursup", "affelnet"),
    [
        (date(2026, 11, 28), date(2027, 9, 1), date(2027, 1, 15), date(2027, 5, 1)),
        (date(2026, 9, 20), date(2026, 9, 1), date(2027, 1, 15), date(2027, 5, 1)),
        (date(2027, 6, 10), date(2027, 9, 1), date(2028, 1, 15), date(2028, 5, 1)),
    ],
)
def test_each_period_comes_at_its_next_occurrence(today, bourse, parcoursup, affelnet):
    assert calendar.next_period("bourse", today).first == bourse
    assert calendar.next_period("parcoursup", today).first == parcoursup
    assert calendar.next_period("affelnet", today).first == affelnet
    for key in calendar.KEY_DATES:
        assert calendar.next_period(key, today).last >= today


def test_the_ics_has_one_all_day_event_per_date():
    text = calendar.ics(FR["dates"].dates, today=date(2026, 11, 28), host="relais.example.fr",
                        note="L'établissement donne les dates exactes.")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 4
    assert "DTSTART;VALUE=DATE:20270115\r\nDTEND;VALUE=DATE:20270316\r\n" in text
    assert "UID:relais-dates-affelnet-2027@relais.example.fr" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "Parcoursup\\, en terminale" in text  # TEXT escaping
