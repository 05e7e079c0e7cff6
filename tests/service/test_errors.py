"""Every error code has a human page: in French, what happened, what to do, a reference."""

from __future__ import annotations

import logging
import re
from html import unescape

import pytest
from flask import Flask

from lti.errors import ERROR_CODES, LtiError
from service.errors import MESSAGES, ServiceError
from tests.conftest import https_client
from tests.service.test_security import checked


def _lti_errors() -> dict[str, type[LtiError]]:
    found: dict[str, type[LtiError]] = {}
    stack = list(LtiError.__subclasses__())
    while stack:
        cls = stack.pop()
        found.setdefault(cls.code, cls)
        stack.extend(cls.__subclasses__())
    return found


LTI_ERRORS = _lti_errors()
SERVICE_ONLY = sorted(set(MESSAGES) - set(ERROR_CODES))


def test_every_lti_code_has_a_message():
    missing = [code for code in ERROR_CODES if code not in MESSAGES]
    assert not missing, f"add these to service.errors.MESSAGES: {missing}"


def test_every_message_says_what_happened_and_what_to_do():
    for code, (happened, todo) in MESSAGES.items():
        assert str(happened).strip() and str(todo).strip(), code


@pytest.fixture
def raising_app(app: Flask) -> Flask:
    """The app with one more route that raises the error named in its URL."""

    def raise_error(kind: str, code: str) -> str:
        if kind == "lti":
            raise LTI_ERRORS[code]("a description that is never shown", field="roles")
        raise ServiceError(code, 418 if code == "teapot" else 400)

    app.add_url_rule("/raise/<kind>/<code>", view_func=raise_error)
    return app


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _assert_french_page(response, code: str, caplog: pytest.LogCaptureFixture) -> None:
    page = checked(response)
    assert page.error == code
    assert page.lang == "fr"
    text = _text(response.get_data(as_text=True))
    happened, todo = MESSAGES[code]
    assert str(happened) in text
    assert str(todo) in text
    assert "Un problème est survenu" in text
    assert "never shown" not in text
    reference = re.search(r"Référence : ([0-9A-F]{8})", text)
    assert reference, text
    # Support finds the case by the reference the parent reads out.
    assert any(reference.group(1) in r.getMessage() and code in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("code", ERROR_CODES)
def test_each_lti_code_renders_a_french_page_with_a_reference(raising_app: Flask, caplog, code):
    caplog.set_level(logging.WARNING, "service.errors")
    response = https_client(raising_app).get(f"/raise/lti/{code}")
    error = LTI_ERRORS[code]
    assert response.status_code == error.status
    if code in ("platform_unreachable", "platform_keys_unavailable",
                # what a platform answers while Relais registers with it
                "registration_configuration_unavailable", "registration_configuration_invalid",
                "registration_platform_error", "registration_response_invalid"):
        assert response.status_code == 502  # the platform's failure, not the request's
    else:
        assert 400 <= response.status_code < 500
    _assert_french_page(response, code, caplog)


@pytest.mark.parametrize("code", SERVICE_ONLY)
def test_each_service_code_renders_a_french_page(raising_app: Flask, caplog, code):
    caplog.set_level(logging.WARNING, "service.errors")
    response = https_client(raising_app).get(f"/raise/service/{code}")
    assert response.status_code == 400
    _assert_french_page(response, code, caplog)


def test_the_page_follows_the_language_asked_for(raising_app: Flask):
    response = https_client(raising_app).get("/raise/lti/nonce_replayed?lang=ar")
    page = checked(response)
    assert page.lang == "ar"
    assert 'dir="rtl"' in response.get_data(as_text=True)
