"""The wizard's pages as a browser without JavaScript sees them: plain forms, progress kept per
parent on the server, "Je bloque ici" turning into a help request that holds the step."""

from __future__ import annotations

import gzip
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from service import db
from service.help.models import HelpRequest
from service.onboarding.models import WizardProgress
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import VALID, csrf_of, second_platform, submit
from tests.service.test_parents import page_of

START = "/pas-a-pas"
CSS = Path(__file__).resolve().parents[2] / "service" / "static" / "relais.css"
# The Android branch with an email address, as the browser test walks it.
ANDROID = [("device", "android"), ("email", "has"), ("account", None), ("install", None),
           ("login", None), ("follow", None), ("alerts", None), ("dates", None)]


def text_of(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def step_url(stage: str) -> str:
    return f"{START}/etape/{stage}"


def press(client: FlaskClient, stage: str, action: str = "done", answer: str | None = None,
          query: str = "") -> TestResponse:
    """Open the step (for its form's token) and press one of its three buttons."""
    page = client.get(step_url(stage) + query)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    data = {"csrf_token": csrf_of(page), "action": action}
    if answer:
        data["answer"] = answer
    return client.post(step_url(stage) + query, data=data)


def progress_rows(app: Flask) -> list[WizardProgress]:
    with app.app_context():
        return list(db.session().scalars(select(WizardProgress).order_by(WizardProgress.id)))


@pytest.fixture
def parent(client: FlaskClient, launcher: LaunchHelper) -> FlaskClient:
    launcher.as_(client, "parent")
    return client


# --- the whole path, without JavaScript --------------------------------------------------------

def test_a_parent_walks_the_android_path_to_the_end_with_plain_forms(app: Flask, parent):
    response = parent.get(START)
    assert response.status_code == 200
    assert "Commencer" in text_of(response)
    for number, (stage, answer) in enumerate(ANDROID, start=1):
        page = parent.get(step_url(stage))
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        found = page_of(page)
        assert found.body_attrs.get("data-audience") == "parent"
        assert f"Étape {number} sur 8" in text_of(page)
        # Three buttons in one plain form, with its CSRF token; no script without its nonce.
        for value in ("done", "stuck", "skip"):
            assert f'name="action" value="{value}"' in html
        assert 'name="csrf_token"' in html
        assert found.tags["script"] == html.count('<script nonce="')
        assert found.tags["svg"] >= 3  # a pictogram per action
        response = press(parent, stage, answer=answer)
        assert response.status_code == 303
    assert response.headers["Location"] == f"{START}/fini"
    end = parent.get(f"{START}/fini")
    assert end.status_code == 200 and "Félicitations" in text_of(end)
    [row] = progress_rows(app)
    assert (row.current_step, row.device, row.email_choice) == ("done", "android", "has")
    assert row.done_steps.split(",") == [s for s, _ in ANDROID]


def test_the_parent_home_offers_to_resume_where_they_stopped(parent, launcher: LaunchHelper):
    home = text_of(launcher.as_(parent, "parent"))
    assert "Prendre en main pas à pas" in home and "Reprendre" not in home
    for stage, answer in ANDROID[:2]:
        press(parent, stage, answer=answer)
    # A new launch (tomorrow, another browser): the server remembers.
    again = https_client(parent.application)
    home = launcher.as_(again, "parent")
    assert "Reprendre à l'étape 3 sur 8" in text_of(home)
    assert step_url("account") in page_of(home).links
    start = text_of(again.get(START))
    assert "Vous en êtes à l'étape 3 sur 8" in start and "Reprendre à l'étape 3" in start


def test_passer_moves_on_and_the_path_page_says_which_were_passed(app: Flask, parent):
    press(parent, "device", answer="iphone")
    assert press(parent, "email", "skip").headers["Location"] == step_url("account")
    page = text_of(parent.get(START))
    assert "passée" in page and "fait" in page
    [row] = progress_rows(app)
    assert (row.skipped_steps, row.done_steps, row.email_choice) == ("email", "device", None)


def test_the_end_lists_the_steps_passed(parent):
    for stage, _ in ANDROID:
        press(parent, stage, "skip")
    end = parent.get(f"{START}/fini")
    assert "Les étapes que vous avez passées" in text_of(end)
    assert step_url("install") in page_of(end).links


def test_recommencer_forgets_the_answers_and_starts_at_step_1(app: Flask, parent):
    press(parent, "device", answer="computer")
    token = csrf_of(parent.get(START))
    response = parent.post(f"{START}/recommencer", data={"csrf_token": token})
    assert response.headers["Location"] == step_url("device")
    assert progress_rows(app) == []
    assert "Commencer" in text_of(parent.get(START))


def test_answering_another_device_changes_the_steps_that_follow(parent):
    press(parent, "device", answer="android")
    assert "install-android-pronote" in parent.get(step_url("install")).get_data(as_text=True)
    press(parent, "device", answer="computer")
    page = parent.get(step_url("install"))
    assert 'data-step="install-computer"' in page.get_data(as_text=True)


def test_a_step_of_another_branch_leads_back_to_the_path(parent):
    press(parent, "device", answer="android")
    press(parent, "email", answer="has")
    response = parent.get(step_url("email_next"))  # only met without an address
    assert response.status_code == 302 and response.headers["Location"] == START
    assert parent.get(step_url("horoscope")).status_code == 404


# --- forms: errors and tampering -------------------------------------------------------------

def test_done_without_an_answer_says_so_next_to_the_question_and_stores_nothing(app, parent):
    response = press(parent, "device")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-error="form_invalid"' in html
    assert 'href="#field-answer"' in html  # the summary links to the question
    assert 'id="field-answer"' in html and 'aria-describedby="error-answer"' in html
    assert "Choisissez l'appareil que vous utilisez" in text_of(response)
    assert progress_rows(app) == []


def test_an_unknown_answer_is_refused_too(app: Flask, parent):
    assert press(parent, "device", answer="minitel").status_code == 400
    assert progress_rows(app) == []


def test_a_tampered_action_is_a_bad_request(app: Flask, parent):
    response = press(parent, "install", action="teleport")
    assert response.status_code == 400
    assert 'data-error="bad_request"' in response.get_data(as_text=True)
    assert progress_rows(app) == []


def test_a_post_without_its_token_is_refused(app: Flask, parent):
    response = parent.post(step_url("device"), data={"action": "done", "answer": "android"})
    assert 'data-error="csrf_failed"' in response.get_data(as_text=True)
    assert progress_rows(app) == []


# --- "Je bloque ici" -------------------------------------------------------------------------

def test_stuck_at_step_4_opens_a_help_request_holding_topic_step_and_device(app, parent):
    for stage, answer in ANDROID[:3]:
        press(parent, stage, answer=answer)
    response = press(parent, "install", "stuck")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/aide/rappel"
    assert parse_qs(target.query) == {
        "topic": ["install_app"], "step": ["install-android-pronote"], "device": ["android"]}
    form = parent.get(response.headers["Location"]).get_data(as_text=True)
    assert '<input type="hidden" name="step" value="install-android-pronote">' in form
    assert '<option value="install_app" selected>' in form
    # The parent only says how to be reached.
    fields = {k: v for k, v in VALID.items() if k != "topic"}
    sent = submit(parent, response.headers["Location"],
                  {**fields, "topic": "install_app", "step": "install-android-pronote",
                   "device": "android"})
    assert sent.status_code == 303
    with app.app_context():
        [saved] = db.session().scalars(select(HelpRequest)).all()
        assert (saved.topic, saved.step, saved.device, saved.user_id) == (
            "install_app", "install-android-pronote", "android", "parent-1")
    [row] = progress_rows(app)
    assert row.current_step == "install"  # resuming brings them back here


# --- every parent sees only their own progress -------------------------------------------------

def test_progress_is_never_seen_nor_changed_by_another_parent(app, client, launcher):
    launcher.as_(client, "parent")
    for stage, answer in ANDROID[:3]:
        press(client, stage, answer=answer)

    other = https_client(app)
    home = text_of(launcher.as_(other, "parent", sub="parent-2"))
    assert "Reprendre" not in home
    assert "Commencer" in text_of(other.get(START))
    press(other, "device", answer="none")
    token = csrf_of(other.get(START))
    other.post(f"{START}/recommencer", data={"csrf_token": token})

    mine = [r for r in progress_rows(app) if r.user_id == "parent-1"]
    assert [(r.device, r.current_step) for r in mine] == [("android", "install")]
    assert "Reprendre à l'étape 4 sur 8" in text_of(launcher.as_(client, "parent"))


def test_the_same_person_id_on_another_platform_is_someone_else(app, client, launcher):
    launcher.as_(client, "parent")
    press(client, "device", answer="android")
    other_platform = second_platform(app)
    elsewhere = https_client(app)
    launcher.as_(elsewhere, "parent", fake=other_platform)  # same sub "parent-1"
    assert "Commencer" in text_of(elsewhere.get(START))
    press(elsewhere, "device", answer="iphone")
    rows = progress_rows(app)
    assert len(rows) == 2 and {r.device for r in rows} == {"android", "iphone"}
    assert len({r.platform_id for r in rows}) == 2


# --- previews, audiences ---------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_teachers_and_admins_preview_the_path_and_nothing_is_stored(app, client, launcher,
                                                                     persona):
    launcher.as_(client, persona)
    start = client.get(START)
    assert start.status_code == 200 and "Aperçu" in text_of(start)
    response = press(client, "device", answer="iphone")
    assert response.headers["Location"] == step_url("email") + "?device=iphone"
    response = press(client, "email", answer="create", query="?device=iphone")
    assert response.headers["Location"] == step_url("email_next") + "?device=iphone&email=create"
    page = client.get(step_url("install") + "?device=iphone&email=create")
    assert 'data-step="install-iphone-pronote"' in page.get_data(as_text=True)
    assert 'data-preview="true"' in page.get_data(as_text=True)
    assert "Étape 5 sur 9" in text_of(page)
    stuck = press(client, "install", "stuck", query="?device=iphone")
    assert "device=iphone" in stuck.headers["Location"]
    assert progress_rows(app) == []
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(HelpRequest)) == 0


def test_a_pupil_gets_the_403_page_and_a_stranger_the_session_page(app, client, launcher):
    assert 'data-error="session_missing"' in client.get(START).get_data(as_text=True)
    launcher.as_(client, "learner")
    for url in (START, step_url("device"), f"{START}/fini", f"{START}/dates.ics"):
        response = client.get(url)
        assert response.status_code == 403, url


# --- what each step shows --------------------------------------------------------------------

def test_the_install_step_links_to_the_store_with_a_qr_code(parent):
    press(parent, "device", answer="android")
    html = parent.get(step_url("install")).get_data(as_text=True)
    assert "https://play.google.com/store/apps/details?id=com.IndexEducation.Pronote" in html
    assert '<svg viewBox="0 0 ' in html and 'class="qr"' in html
    assert "Ouvrir le Play Store" in html


def test_the_ent_app_comes_from_the_platform_and_its_store_link_from_its_links(
        app: Flask, client, launcher, runner, platform: FakePlatform):
    result = runner.invoke(args=["wizard", "set-tools", "--platform", platform.issuer,
                                 "--tools", "ent_app,educonnect"])
    assert result.exit_code == 0, result.output
    assert "ent_app,educonnect" in result.output
    with app.app_context():
        from service.platforms.models import Platform

        pid = db.session().scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
    app.config["PLATFORM_LINKS"] = {
        str(pid): {"ent_app_iphone_url": "https://apps.apple.com/fr/app/ent/id1"}}
    launcher.as_(client, "parent")
    press(client, "device", answer="iphone")
    html = client.get(step_url("install")).get_data(as_text=True)
    assert 'data-step="install-iphone-ent_app"' in html
    assert "https://apps.apple.com/fr/app/ent/id1" in html
    html = client.get(step_url("login")).get_data(as_text=True)
    assert 'data-step="login-educonnect"' in html
    assert 'data-step="follow-ent"' in client.get(step_url("follow")).get_data(as_text=True)


def test_the_ent_app_page_set_in_the_admin_settings_is_offered(app: Flask, client, launcher,
                                                                 platform: FakePlatform):
    from service.admin.models import PlatformSettings
    from service.platforms.models import Platform

    with app.app_context(), db.transaction() as tx:
        pid = tx.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        tx.add(PlatformSettings(platform_id=pid, ent_app_url="https://ent.example.fr/app"))
    app.config["PLATFORM_TOOLS"] = {str(pid): ["ent_app"]}
    launcher.as_(client, "parent")
    press(client, "device", answer="android")
    html = unescape(client.get(step_url("install")).get_data(as_text=True))
    assert 'data-step="install-android-ent_app"' in html
    assert 'href="https://ent.example.fr/app"' in html and "Ouvrir la page de l'application" in html


def test_a_platform_without_educonnect_gets_the_school_letter(app, client, launcher, platform):
    with app.app_context():
        from service.platforms.models import Platform

        pid = db.session().scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
    app.config["PLATFORM_TOOLS"] = {str(pid): ["pronote"]}
    launcher.as_(client, "parent")
    assert 'data-step="account-school"' in client.get(step_url("account")).get_data(
        as_text=True)


def test_the_cli_refuses_an_unknown_tool_or_platform(runner, platform: FakePlatform):
    result = runner.invoke(args=["wizard", "set-tools", "--platform", platform.issuer,
                                 "--tools", "pronote,minitel"])
    assert result.exit_code != 0 and "unknown tool 'minitel'" in result.output
    result = runner.invoke(args=["wizard", "set-tools", "--platform", "nowhere",
                                 "--tools", "pronote"])
    assert result.exit_code != 0 and "no platform named 'nowhere'" in result.output
    result = runner.invoke(args=["wizard", "show-tools", "--platform", platform.issuer])
    assert result.exit_code == 0 and "pronote,educonnect" in result.output  # the default


def test_the_dates_step_offers_an_ics_of_the_key_dates(parent):
    page = parent.get(step_url("dates"))
    assert f'href="{START}/dates.ics"' in page.get_data(as_text=True)
    ics = parent.get(f"{START}/dates.ics")
    assert ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    body = ics.get_data(as_text=True)
    assert body.count("BEGIN:VEVENT") == 4 and "Affelnet" in body


def test_read_aloud_is_a_nonced_script_and_no_button_without_it(parent):
    html = parent.get(step_url("device")).get_data(as_text=True)
    assert re.search(r'<script nonce="[^"]+">', html)
    assert "speechSynthesis" in html
    assert "Écouter cette étape" in unescape(html)  # a label the script gives its button
    assert not re.search(r"<button[^>]*>\s*Écouter", unescape(html))  # not in the HTML


def test_in_arabic_the_page_turns_right_to_left_and_the_step_is_arabic(parent):
    parent.get("/lang?to=ar&next=/home")
    html = parent.get(step_url("install")).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "<h1 data-speak>" in html  # the page's own language: no lang="fr" on the words
    assert 'data-lang="ar"' in html  # read aloud in the language of the words


def test_a_step_not_yet_translated_is_shown_in_french_and_says_so(parent):
    parent.get("/lang?to=pt&next=/home")  # no Portuguese steps yet
    html = parent.get(step_url("install")).get_data(as_text=True)
    assert '<h1 data-speak lang="fr" dir="ltr">' in html
    assert 'data-lang="fr"' in html


def test_a_step_with_all_it_loads_is_under_15_kb_gzip(parent):
    css = len(gzip.compress(CSS.read_bytes()))
    press(parent, "device", answer="android")
    for stage in ("device", "install", "dates"):
        html = parent.get(step_url(stage)).get_data()
        assert len(gzip.compress(html)) + css < 15 * 1024, stage


def test_a_double_tap_on_the_first_step_still_keeps_one_row(app: Flask, parent, monkeypatch):
    press(parent, "device", answer="android")
    token = csrf_of(parent.get(step_url("email")))
    from service.onboarding import services

    real, looks = services.find_progress, []

    def late(*args, **kwargs):
        looks.append(1)
        # The page's own look (1st) sees the row; the write's look (2nd) misses it, as when
        # the other tap made it a moment before: the insert fails and is tried again.
        return None if len(looks) == 2 else real(*args, **kwargs)

    monkeypatch.setattr(services, "find_progress", late)
    response = parent.post(step_url("email"),
                           data={"csrf_token": token, "action": "done", "answer": "has"})
    assert response.status_code == 303
    assert len(looks) == 3  # the write was tried twice
    [row] = progress_rows(app)
    assert (row.device, row.email_choice, row.current_step) == ("android", "has", "account")
