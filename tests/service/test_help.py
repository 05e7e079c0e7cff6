"""'Be called back' inside the ENT, the reference code, the status page, cancel and erase."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.help import codes
from service.help.models import HelpRequest, HelpRequestEvent
from service.help.services import NewRequest, create_request, erase_expired_phones
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
    page,
    platform_id,
    second_platform,
    submit,
)

FORM = "/aide/rappel"


def _request(app: Flask) -> HelpRequest:
    with app.app_context():
        found = db.session().scalars(select(HelpRequest)).all()
        assert len(found) == 1
        return found[0]


def _ask(client: FlaskClient, **changes: object) -> str:
    """Submit a valid request (with ``changes``); returns the status page's path."""
    response = submit(client, FORM, {**VALID, **changes})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def _post_action(client: FlaskClient, location: str, action: str):
    token = csrf_of(client.get(location))
    return client.post(f"{location}/{action}", data={"csrf_token": token})


@pytest.fixture
def parent(client: FlaskClient, launcher: LaunchHelper) -> FlaskClient:
    launcher.as_(client, "parent")
    return client


def test_the_form_is_accessible_and_names_the_retention(parent: FlaskClient) -> None:
    response = parent.get(FORM + "?topic=bourse")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    parsed = page(response)
    assert parsed.body["data-audience"] == "parent"
    assert parsed.scripts == 0  # works without JavaScript
    assert 'autocomplete="tel"' in html and 'inputmode="tel"' in html
    assert parsed.described["field-phone"] == "hint-phone"
    assert ("J'accepte que mon numéro soit gardé pour qu'une personne me rappelle. "
            "Il sera effacé au plus tard dans 90 jours, ou quand je le demande.") in unescape(html)
    assert '<option value="bourse" selected>' in html
    assert '<option value="ar">العربية</option>' in html  # each language named in itself


def test_without_consent_nothing_reaches_the_database(app: Flask, parent: FlaskClient) -> None:
    fields = {k: v for k, v in VALID.items() if k != "consent"}
    response = submit(parent, FORM, fields)
    assert response.status_code == 400
    parsed = page(response)
    assert parsed.body["data-error"] == "form_invalid"
    html = response.get_data(as_text=True)
    assert 'id="error-consent"' in html and "Pour être rappelé, cochez cette case." in html
    assert parsed.described["field-consent"] == "error-consent"
    assert 'href="#field-consent"' in html  # the summary links to the checkbox
    assert count(app, "help_request") == 0
    assert cells_with(app, PHONE_DIGITS) == []  # every table, every column


def test_a_consent_other_than_yes_is_no_consent(app: Flask, parent: FlaskClient) -> None:
    response = submit(parent, FORM, {**VALID, "consent": "on<b>"})
    assert response.status_code == 400
    assert 'id="error-consent"' in response.get_data(as_text=True)
    assert cells_with(app, PHONE_DIGITS) == []


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("01 44 55 66 77", "+33144556677"),
        ("+44 7911 123456", "+447911123456"),
        ("+212 6 12 34 56 78", "+212612345678"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_french_and_international_numbers_are_stored_e164(
    app: Flask, parent: FlaskClient, typed: str, stored: str
) -> None:
    _ask(parent, phone=typed)
    assert _request(app).phone == stored


@pytest.mark.parametrize(
    "typed",
    ["123", "06 12 34", "abcdefgh", "06 12 34 56 78 90 12 34", "+33 1", "00 00 00 00 00",
     "08 99 12 34 56", "+999 123 456", "06 12 34 56 7\x008", "0" * 40],
)
def test_invalid_numbers_are_refused_next_to_the_field(
    app: Flask, parent: FlaskClient, typed: str
) -> None:
    response = submit(parent, FORM, {**VALID, "phone": typed})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="error-phone"' in html
    assert page(response).described["field-phone"] == "hint-phone error-phone"
    assert count(app, "help_request") == 0


def test_empty_required_fields_each_get_a_message(app: Flask, parent: FlaskClient) -> None:
    response = submit(parent, FORM, {"phone": "  ", "topic": "", "language": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for name in ("phone", "language", "topic", "consent"):
        assert f'id="error-{name}"' in html, name
        assert f'href="#field-{name}"' in html, name
    for name in ("first_name", "message", "moments"):  # optional
        assert f'id="error-{name}"' not in html
    # The summary lists the errors in the order of the form.
    order = [html.index(f'href="#field-{n}"') for n in ("phone", "language", "topic", "consent")]
    assert order == sorted(order)
    assert count(app, "help_request") == 0


@pytest.mark.parametrize("name, limit", [("message", 500), ("first_name", 50)])
def test_overlong_text_is_refused(app: Flask, parent: FlaskClient, name: str, limit: int) -> None:
    response = submit(parent, FORM, {**VALID, name: "a" * (limit + 1)})
    assert response.status_code == 400
    assert f"{limit} caractères au plus" in response.get_data(as_text=True)
    assert f'id="error-{name}"' in response.get_data(as_text=True)
    assert count(app, "help_request") == 0
    _ask(parent, **{name: "a" * limit})  # the limit itself is fine


ATTACKS = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "<b>gras</b>",
           "&lt;script&gt;", "<!-- x -->"]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize(
    "name", ["phone", "moments", "language", "topic", "first_name", "message", "consent"]
)
def test_markup_in_any_field_is_refused_and_never_echoed_raw(
    app: Flask, parent: FlaskClient, name: str, attack: str
) -> None:
    value: object = [attack] if name == "moments" else attack
    response = submit(parent, FORM, {**VALID, name: value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="error-{name}"' in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>gras" not in html
    assert count(app, "help_request") == 0


@pytest.mark.parametrize("name, value", [("first_name", "Ana\x00"), ("first_name", "Ana\nB"),
                                         ("message", "bip\x07"), ("message", "a\x1b[31m")])
def test_control_characters_are_refused(
    app: Flask, parent: FlaskClient, name: str, value: str
) -> None:
    response = submit(parent, FORM, {**VALID, name: value})
    assert response.status_code == 400
    assert f'id="error-{name}"' in response.get_data(as_text=True)
    assert count(app, "help_request") == 0


def test_plain_text_that_only_looks_odd_is_kept(app: Flask, parent: FlaskClient) -> None:
    message = "Merci <3\nMon fils a < 15 ans & il est en 4e."
    _ask(parent, message=message, first_name="Anne-Marie O'Neil")
    saved = _request(app)
    assert (saved.message, saved.first_name) == (message, "Anne-Marie O'Neil")


def test_a_request_gets_a_readable_code_and_a_status_page(app: Flask, parent: FlaskClient) -> None:
    location = _ask(parent)
    saved = _request(app)
    assert re.fullmatch(f"[{codes.ALPHABET}]{{8}}", saved.code)
    assert not set(saved.code) & set("01ILOU")
    assert location == f"/demande/{saved.code[:4]}-{saved.code[4:]}?envoyee=1"
    assert (saved.phone, saved.origin, saved.user_id, saved.status) == (
        PHONE_E164, "ent", "parent-1", "new")
    assert saved.moments == "morning,evening" and saved.language == "fr"
    assert saved.consent_at is not None and saved.phone_erase_at is not None
    assert saved.phone_erase_at - saved.consent_at == timedelta(days=90)

    response = parent.get(location)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert page(response).body["data-status"] == "new"
    assert f"{saved.code[:4]}-{saved.code[4:]}" in html
    assert "Reçu" in html and "Votre demande est bien envoyée" in html
    assert "06 •• •• •• 78" in html and PHONE_DIGITS not in html.replace(" ", "")
    assert "Mot de passe ou codes oubliés" in html
    with app.app_context():
        kinds = [e.kind for e in db.session().scalars(select(HelpRequestEvent))]
    assert kinds[0] == "created" and "assigned" in kinds


def test_the_wizard_can_send_its_step_and_device(app: Flask, parent: FlaskClient) -> None:
    html = parent.get(FORM + "?topic=install_app&step=install-app&device=android").get_data(
        as_text=True)
    assert '<input type="hidden" name="step" value="install-app">' in html
    assert '<input type="hidden" name="device" value="android">' in html
    _ask(parent, topic="install_app", step="install-app", device="android")
    saved = _request(app)
    assert (saved.topic, saved.step, saved.device) == ("install_app", "install-app", "android")


@pytest.mark.parametrize("name, value", [("step", "<script>"), ("step", "s" * 41),
                                         ("device", "d" * 21), ("device", "Android")])
def test_a_tampered_step_or_device_is_a_bad_request(
    app: Flask, parent: FlaskClient, name: str, value: str
) -> None:
    html = parent.get(FORM, query_string={name: value}).get_data(as_text=True)
    assert f'name="{name}"' not in html  # never carried along
    response = submit(parent, FORM, {**VALID, name: value})
    assert response.status_code == 400
    assert 'data-error="bad_request"' in response.get_data(as_text=True)
    assert count(app, "help_request") == 0


@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_teachers_and_admins_get_a_preview_that_sends_nothing(
    app: Flask, client: FlaskClient, launcher: LaunchHelper, persona: str
) -> None:
    launcher.as_(client, persona)
    response = client.get(FORM)
    assert response.status_code == 200
    assert page(response).body["data-preview"] == "true"
    assert "Essayer l'envoi (aperçu)" in unescape(response.get_data(as_text=True))
    response = submit(client, FORM, VALID)
    assert response.status_code == 200
    assert "Un parent recevrait maintenant un code" in response.get_data(as_text=True)
    assert count(app, "help_request") == 0
    assert cells_with(app, PHONE_DIGITS) == []


def test_learners_and_strangers_cannot_open_the_form(
    client: FlaskClient, launcher: LaunchHelper, app: Flask
) -> None:
    stranger = https_client(app)
    assert 'data-error="session_missing"' in stranger.get(FORM).get_data(as_text=True)
    launcher.as_(client, "learner")
    response = client.get(FORM)
    assert response.status_code == 403
    assert 'data-error="forbidden"' in response.get_data(as_text=True)


def test_cancel_ends_the_request_and_forgets_the_number(app: Flask, parent: FlaskClient) -> None:
    location = _ask(parent).split("?")[0]
    response = _post_action(parent, location, "annuler")
    assert response.status_code == 303
    html = parent.get(response.headers["Location"]).get_data(as_text=True)
    assert "Annulée" in html and "Votre demande est annulée" in html
    assert "Annuler ma demande" not in html and "Effacer mon numéro" not in html
    saved = _request(app)
    assert saved.status == "cancelled" and saved.phone is None and saved.consent_at is None
    assert cells_with(app, PHONE_DIGITS) == []
    with app.app_context():
        events = db.session().scalars(select(HelpRequestEvent)).all()
        assert [(e.kind, e.from_status, e.to_status, e.actor_kind) for e in events][-2:] == [
            ("status", "new", "cancelled", "parent"), ("phone_erased", None, None, "parent")]


def test_erase_my_number_leaves_it_in_no_table(app: Flask, parent: FlaskClient) -> None:
    location = _ask(parent).split("?")[0]
    assert cells_with(app, PHONE_DIGITS) == ["help_request.phone"]
    response = _post_action(parent, location, "effacer-numero")
    assert response.status_code == 303
    assert cells_with(app, PHONE_DIGITS) == []
    saved = _request(app)
    assert saved.status == "new"  # the request itself stays
    assert saved.consent_at is None and saved.phone_erase_at is None
    html = parent.get(location).get_data(as_text=True)
    assert "Aucun numéro gardé" in html and "Effacer mon numéro" not in html


def test_actions_need_the_form_token(app: Flask, parent: FlaskClient) -> None:
    location = _ask(parent).split("?")[0]
    response = parent.post(location + "/annuler")
    assert response.status_code == 400
    assert 'data-error="csrf_failed"' in response.get_data(as_text=True)
    assert _request(app).status == "new"


def test_a_code_is_found_however_it_is_typed(app: Flask, parent: FlaskClient) -> None:
    _ask(parent)
    code = _request(app).code
    typed = f" {code[:4].lower()} - {code[4:].lower()} "
    response = parent.get("/demande", query_string={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/demande/{code[:4]}-{code[4:]}"
    assert parent.get(f"/demande/{code.lower()}").status_code == 200


def test_unknown_and_malformed_codes_get_the_same_answer(parent: FlaskClient) -> None:
    answers = []
    for url in ("/demande/ABCD-EFGH", "/demande/not-a-code", "/demande?code=0000-0000",
                "/demande?code=%3Cscript%3E"):
        response = parent.get(url)
        assert response.status_code == 404, url
        html = response.get_data(as_text=True)
        assert page(response).body["data-error"] == "not_found"
        answers.append(re.search(r'<p class="error-message" id="error-code">(.*?)</p>', html)[1])
    assert len(set(answers)) == 1
    assert 'value="ABCD-EFGH"' in parent.get("/demande/ABCD-EFGH").get_data(as_text=True)
    response = parent.get("/demande?code=")
    assert response.status_code == 400
    assert "Écrivez le code de votre demande." in response.get_data(as_text=True)


def test_the_lookup_page_lists_my_own_requests(app: Flask, parent: FlaskClient) -> None:
    _ask(parent)
    code = _request(app).code
    html = parent.get("/demande").get_data(as_text=True)
    assert f"/demande/{code[:4]}-{code[4:]}" in html and "Vos demandes" in html


def test_an_ent_request_is_only_for_its_parent_on_its_platform(
    app: Flask, parent: FlaskClient, launcher: LaunchHelper, platform: FakePlatform
) -> None:
    location = _ask(parent).split("?")[0]
    # Another parent of the same platform.
    other = https_client(app)
    launcher.as_(other, "parent", sub="parent-2")
    assert other.get(location).status_code == 404
    assert other.get("/demande").get_data(as_text=True).count("/demande/") == 0
    # Nobody signed in.
    assert https_client(app).get(location).status_code == 404
    # A parent with the same `sub` on another platform.
    fake_b = second_platform(app)
    on_b = https_client(app)
    LaunchHelper(app, fake_b).as_(on_b, "parent")
    assert on_b.get(location).status_code == 404
    token = csrf_of(on_b.get(FORM))
    for action in ("annuler", "effacer-numero"):
        assert on_b.post(f"{location}/{action}", data={"csrf_token": token}).status_code == 404
    assert _request(app).status == "new"


def test_create_request_refuses_a_number_without_consent(
    app: Flask, platform: FakePlatform
) -> None:
    with app.app_context(), pytest.raises(ValueError, match="consent"):
        with db.transaction() as tx:
            create_request(tx, NewRequest(platform_id=platform_id(app, platform), origin="ent",
                                          topic="other", language="fr", phone=PHONE_E164))
    assert count(app, "help_request") == 0


def test_numbers_past_their_retention_are_erased(
    app: Flask, parent: FlaskClient, runner
) -> None:
    _ask(parent)
    erase_by = _request(app).phone_erase_at
    with app.app_context(), db.transaction() as tx:
        assert erase_expired_phones(tx, now=erase_by - timedelta(seconds=1)) == 0
    assert cells_with(app, PHONE_DIGITS) == ["help_request.phone"]
    with app.app_context(), db.transaction() as tx:
        assert erase_expired_phones(tx, now=erase_by + timedelta(seconds=1)) == 1
    assert cells_with(app, PHONE_DIGITS) == []
    result = runner.invoke(args=["requests", "purge"])
    assert result.exit_code == 0 and "erased 0 phone numbers" in result.output
