"""The wizard follows the settings of the class a parent launched from: the stages its teacher
hid are not on the path (nor in its numbers, nor behind their URLs, nor in the home's resume
line), and the class's contact is shown where a parent starts and where "Je bloque ici" leads.
Another class's settings, on this platform or another one, change nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.onboarding.models import WizardProgress
from service.onboarding.path import (
    DEFAULT_TOOLS,
    DEVICES,
    DONE,
    EMAIL_CHOICES,
    STAGE_IDS,
    Branch,
    path,
    shown_after,
)
from service.onboarding.services import advance, where
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.service.test_help_support import csrf_of, second_platform
from tests.service.test_onboarding_pages import (
    ANDROID,
    START,
    press,
    progress_rows,
    step_url,
    text_of,
)
from tests.service.test_parents import page_of
from tests.service.test_teachers import CLASS_B, post, settings_form, teacher

CONTACT = "Mme Durand, bureau 12, le mardi"
HEADING = "La personne à contacter pour cette classe"


def class_settings(app: Flask, launcher: LaunchHelper, *, hidden: tuple[str, ...] = (),
                   contact: str = "", klass: dict[str, str] | None = None,
                   **claims: Any) -> None:
    """The class's teacher saves its settings through their own page, with the stage ids it
    offers: the parents' default class (6A) unless ``klass`` says another."""
    who = teacher(launcher, https_client(app), **({"klass": klass} if klass else {}), **claims)
    shown = [s for s in STAGE_IDS if s not in hidden]
    saved = post(who, "/enseignant/classe", settings_form(shown_stages=shown, contact=contact))
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]


@pytest.fixture
def parent(client: FlaskClient, launcher: LaunchHelper) -> FlaskClient:
    launcher.as_(client, "parent")  # a parent of 6A
    return client


# --- hidden stages -----------------------------------------------------------------------------

def test_the_stages_a_class_hides_are_left_out_and_the_numbers_count_the_shown_ones(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    class_settings(app, launcher, hidden=("install", "dates"))
    start = parent.get(START)
    assert "6 étapes, une chose à la fois." in text_of(start)
    assert step_url("install") not in page_of(start).links
    assert step_url("dates") not in page_of(start).links
    shown = [(s, a) for s, a in ANDROID if s not in ("install", "dates")]
    for number, (stage, answer) in enumerate(shown, start=1):
        assert f"Étape {number} sur 6" in text_of(parent.get(step_url(stage)))
        response = press(parent, stage, answer=answer)
        if stage == "account":  # the next stage shown, not the hidden install
            assert response.headers["Location"] == step_url("login")
    assert response.headers["Location"] == f"{START}/fini"  # dates is hidden too
    [row] = progress_rows(app)
    assert row.current_step == "done" and "install" not in row.done_steps


def test_the_url_of_a_hidden_stage_leads_to_the_next_shown_one_and_stores_nothing(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    class_settings(app, launcher, hidden=("install", "dates"))
    assert parent.get(step_url("install")).headers["Location"] == step_url("login")
    # Nothing is shown after the last stage: back to the path's start.
    assert parent.get(step_url("dates")).headers["Location"] == START
    # A form opened before the teacher hid its stage, sent after.
    token = csrf_of(parent.get(step_url("account")))
    pressed = parent.post(step_url("install"), data={"csrf_token": token, "action": "done"})
    assert (pressed.status_code, pressed.headers["Location"]) == (303, step_url("login"))
    assert progress_rows(app) == []


def test_a_hidden_device_question_starts_the_path_at_the_email_one(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    # The settings page lets a teacher hide the choice stages too: the steps that follow take
    # their form for "not answered", as when the parent passes the question.
    class_settings(app, launcher, hidden=("device",))
    assert step_url("email") in page_of(parent.get(START)).links
    assert parent.get(step_url("device")).headers["Location"] == step_url("email")
    assert "Étape 1 sur 7" in text_of(parent.get(step_url("email")))
    press(parent, "email", answer="has")
    press(parent, "account")
    install = parent.get(step_url("install"))
    assert page_of(install).body_attrs.get("data-step") == "install-any"
    again = parent.post(f"{START}/recommencer", data={"csrf_token": csrf_of(install)})
    assert again.headers["Location"] == step_url("email")


def test_the_resume_line_counts_the_shown_stages_only(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    class_settings(app, launcher, hidden=("email",))
    press(parent, "device", answer="android")
    home = launcher.as_(https_client(app), "parent")
    assert "Reprendre à l'étape 2 sur 7" in text_of(home)
    assert step_url("account") in page_of(home).links
    assert "Vous en êtes à l'étape 2 sur 7" in text_of(parent.get(START))


def test_a_stage_hidden_after_the_parent_stopped_there_resumes_at_the_next_one(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    for stage, answer in ANDROID[:2]:
        press(parent, stage, answer=answer)
    class_settings(app, launcher, hidden=("account",))
    home = launcher.as_(https_client(app), "parent")
    assert "Reprendre à l'étape 3 sur 7" in text_of(home)
    assert step_url("install") in page_of(home).links


def test_a_teacher_previews_the_path_their_class_parents_get(
        app: Flask, client: FlaskClient, launcher: LaunchHelper):
    class_settings(app, launcher, hidden=("install",))
    teacher(launcher, client)
    assert "Étape 4 sur 7" in text_of(client.get(step_url("login") + "?device=android"))


# --- the class's contact -----------------------------------------------------------------------

def test_the_class_contact_is_on_the_start_page_and_where_je_bloque_ici_leads(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    assert HEADING not in text_of(parent.get(START))
    class_settings(app, launcher, contact=CONTACT + "\n<b>Salle 3</b>")
    start = parent.get(START)
    assert HEADING in text_of(start) and CONTACT in text_of(start)
    # The teacher's words are text: escaped, their line kept.
    html = start.get_data(as_text=True)
    assert "<b>" not in html and "&lt;b&gt;Salle 3&lt;/b&gt;" in html
    assert CONTACT + "<br>" in html
    stuck = press(parent, "device", "stuck")
    callback = parent.get(stuck.headers["Location"])
    assert stuck.headers["Location"].startswith("/aide/rappel")
    page_of(callback)
    assert HEADING in text_of(callback) and CONTACT in text_of(callback)


# --- another class ----------------------------------------------------------------------------

def test_another_class_settings_do_not_reach_this_class_parents(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    class_settings(app, launcher, hidden=("install",), contact=CONTACT, klass=CLASS_B)
    start = text_of(parent.get(START))
    assert "8 étapes, une chose à la fois." in start and CONTACT not in start
    assert "Étape 4 sur 8" in text_of(parent.get(step_url("install")))
    assert CONTACT not in text_of(parent.get("/aide/rappel"))

    of_b = https_client(app)
    launcher.as_(of_b, "parent", context=CLASS_B, sub="parent-2")
    start_b = text_of(of_b.get(START))
    assert "7 étapes, une chose à la fois." in start_b and CONTACT in start_b


def test_the_same_class_id_on_another_platform_has_its_own_settings(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    class_settings(app, launcher, hidden=("install",), contact=CONTACT,
                   fake=second_platform(app))  # its class is also "course-6a"
    start = text_of(parent.get(START))
    assert "8 étapes, une chose à la fois." in start and CONTACT not in start


@pytest.mark.parametrize("hidden", [(s,) for s in STAGE_IDS] + [tuple(STAGE_IDS)])
def test_every_branch_still_reaches_the_end_without_meeting_a_hidden_stage(hidden):
    for device, email in itertools.product(DEVICES, EMAIL_CHOICES):
        branch = Branch(hidden=frozenset(hidden))
        here, met = shown_after(branch, None), []
        while here != DONE:
            met.append(here)
            choice = {"device": device, "email": email}.get(here)
            branch, here, _done, _skipped = advance(branch, here, "done", choice,
                                                    frozenset(), frozenset())
        assert not set(met) & set(hidden)
        assert met == [p.stage.id for p in path(branch)]
        progress = WizardProgress(current_step=met[-1] if met else DONE, device=branch.device,
                                  email_choice=branch.email, done_steps="", skipped_steps="")
        found = where(progress, DEFAULT_TOOLS, frozenset(hidden))
        assert found is not None and found.total == len(met)


def test_a_class_that_hides_every_stage_gets_the_end_of_the_path(
        app: Flask, launcher: LaunchHelper, parent: FlaskClient):
    class_settings(app, launcher, hidden=tuple(STAGE_IDS))
    start = parent.get(START)
    assert start.status_code == 200 and f"{START}/fini" in page_of(start).links
    assert parent.get(step_url("device")).headers["Location"] == START
    assert parent.get(f"{START}/fini").status_code == 200
