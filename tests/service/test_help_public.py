"""'Be called back' on a school's public page: no login, no JavaScript, honeypot, rate limits,
and no request ever seen from another platform or school."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.help.models import HelpRequest
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import (
    PHONE_DIGITS,
    PHONE_E164,
    VALID,
    cells_with,
    count,
    csrf_of,
    make_school,
    page,
    platform_id,
    second_platform,
    submit,
)


@pytest.fixture
def school(app: Flask, platform: FakePlatform) -> str:
    make_school(app, platform_id(app, platform), "ecolea", contact="Mme Martin")
    return "ecolea"


def _saved(app: Flask) -> list[HelpRequest]:
    with app.app_context():
        return list(db.session().scalars(select(HelpRequest)))


def test_works_with_no_session_and_a_plain_post(app: Flask, platform: FakePlatform,
                                               school: str) -> None:
    browser = https_client(app)  # never launched, never logged in
    form = browser.get(f"/e/{school}/rappel?topic=connect_ent")
    assert form.status_code == 200
    parsed = page(form)
    assert parsed.scripts == 0
    html = form.get_data(as_text=True)
    assert "Collège ecolea" in html and 'name="website"' in html  # the honeypot
    response = browser.post(f"/e/{school}/rappel",
                            data={"csrf_token": csrf_of(form), **VALID, "topic": "connect_ent"})
    assert response.status_code == 303
    status = browser.get(response.headers["Location"])
    assert status.status_code == 200 and "Reçu" in status.get_data(as_text=True)
    [saved] = _saved(app)
    assert (saved.origin, saved.user_id, saved.phone, saved.topic) == (
        "public", None, PHONE_E164, "connect_ent")
    assert saved.platform_id == platform_id(app, platform)
    assert saved.school_id is not None
    # The school's contact gets it when no rule says otherwise.
    assert [a.target for a in saved.assignments] == ["school_contact"]


def test_an_unknown_school_is_not_found(app: Flask, school: str) -> None:
    response = https_client(app).get("/e/nowhere/rappel")
    assert response.status_code == 404
    assert 'data-error="not_found"' in response.get_data(as_text=True)


def test_without_consent_nothing_is_stored(app: Flask, school: str) -> None:
    fields = {k: v for k, v in VALID.items() if k != "consent"}
    response = submit(https_client(app), f"/e/{school}/rappel", fields)
    assert response.status_code == 400
    assert 'id="error-consent"' in response.get_data(as_text=True)
    assert cells_with(app, PHONE_DIGITS) == []


def test_a_filled_honeypot_pretends_and_stores_nothing(app: Flask, school: str) -> None:
    browser = https_client(app)
    response = submit(browser, f"/e/{school}/rappel", {**VALID, "website": "http://spam.example"})
    assert response.status_code == 303
    sent = browser.get(response.headers["Location"])
    assert sent.status_code == 200 and "Demande envoyée" in sent.get_data(as_text=True)
    assert count(app, "help_request") == 0 and count(app, "help_request_event") == 0
    assert cells_with(app, PHONE_DIGITS) == []


def test_public_submissions_are_rate_limited(app: Flask, school: str) -> None:
    app.config["HELP_PUBLIC_SUBMIT_LIMIT"] = "2/hour"
    browser = https_client(app)
    for _ in range(2):
        assert submit(browser, f"/e/{school}/rappel", VALID).status_code == 303
    response = submit(browser, f"/e/{school}/rappel", VALID)
    assert response.status_code == 429
    assert page(response).body["data-error"] == "too_many_requests"
    assert count(app, "help_request") == 2
    # Another address is not affected.
    other = https_client(app)
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert submit(other, f"/e/{school}/rappel", VALID).status_code == 303


def test_attempts_of_any_kind_are_rate_limited(app: Flask, school: str) -> None:
    app.config["HELP_PUBLIC_TRIES_LIMIT"] = "3/hour"
    browser = https_client(app)
    for _ in range(3):
        assert submit(browser, f"/e/{school}/rappel", {"phone": "x"}).status_code == 400
    assert submit(browser, f"/e/{school}/rappel", VALID).status_code == 429
    assert count(app, "help_request") == 0


def test_code_lookups_are_rate_limited(app: Flask, school: str) -> None:
    app.config["HELP_LOOKUP_LIMIT"] = "3/minute"
    browser = https_client(app)
    for _ in range(3):
        assert browser.get("/demande/ABCD-EFGH").status_code == 404
    response = browser.get("/demande/ABCD-EFGH")
    assert response.status_code == 429
    assert 'data-error="too_many_requests"' in response.get_data(as_text=True)
    # The actions share the same budget.
    token = csrf_of(browser.get(f"/e/{school}/rappel"))
    assert browser.post("/demande/ABCD-EFGH/annuler",
                        data={"csrf_token": token}).status_code == 429


def test_requests_never_cross_platforms(app: Flask, platform: FakePlatform, school: str,
                                        client: FlaskClient, launcher: LaunchHelper) -> None:
    fake_b = second_platform(app)
    make_school(app, platform_id(app, fake_b), "ecoleb")
    public_a = submit(https_client(app), f"/e/{school}/rappel", VALID).headers["Location"]
    public_a = public_a.split("?")[0]
    launcher.as_(client, "parent")
    ent_a = submit(client, "/aide/rappel", VALID).headers["Location"].split("?")[0]

    on_b = https_client(app)
    LaunchHelper(app, fake_b).as_(on_b, "parent")
    for location in (public_a, ent_a):
        response = on_b.get(location)
        assert response.status_code == 404, location
        assert 'data-error="not_found"' in response.get_data(as_text=True)
    # Without a session, only the public request opens, by its code alone.
    stranger = https_client(app)
    assert stranger.get(public_a).status_code == 200
    assert stranger.get(ent_a).status_code == 404
    # A parent of platform A may open a public request of platform A by its code.
    assert client.get(public_a).status_code == 200
    # School B's public page shows nothing of school A.
    html = https_client(app).get("/e/ecoleb/rappel").get_data(as_text=True)
    assert "ecolea" not in html


def test_the_public_status_page_leads_back_to_the_school(app: Flask, school: str) -> None:
    browser = https_client(app)
    location = submit(browser, f"/e/{school}/rappel", VALID).headers["Location"]
    html = browser.get(location).get_data(as_text=True)
    assert f'href="/e/{school}"' in html and "Retour à l&#39;accueil" not in html
