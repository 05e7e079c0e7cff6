"""Security headers on every page (error pages too), and the HTML check used on every GET.

``checked(response)`` is the check the other service tests run on each HTML page they get:
it parses, has a title, a ``lang``, unique ids, and every inline script carries the CSP
nonce of that very response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import https_client, make_app
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform

_NONCE = re.compile(r"script-src 'nonce-([A-Za-z0-9_-]+)'")


@dataclass
class Page:
    """What the checks read from one HTML page."""

    title: str = ""
    lang: str | None = None
    ids: list[str] = field(default_factory=list)
    scripts: list[dict[str, str | None]] = field(default_factory=list)
    body: dict[str, str | None] = field(default_factory=dict)
    h1: int = 0

    @property
    def error(self) -> str | None:
        return self.body.get("data-error")

    @property
    def audience(self) -> str | None:
        return self.body.get("data-audience")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in_title = False
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "id" in found:
            self.page.ids.append(str(found["id"]))
        if tag == "html":
            self.page.lang = found.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self.page.body = found
        elif tag == "h1":
            self.page.h1 += 1
        elif tag == "script":
            self.page.scripts.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title += data


def csp_nonce(response: TestResponse) -> str:
    match = _NONCE.search(response.headers.get("Content-Security-Policy", ""))
    assert match, response.headers.get("Content-Security-Policy")
    return match.group(1)


def checked(response: TestResponse) -> Page:
    """Parse an HTML response and assert what every page of Relais promises."""
    assert response.mimetype == "text/html", response.mimetype
    parser = _Parser()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    page = parser.page
    assert page.title.strip(), "the page has no <title>"
    assert page.lang, "<html> has no lang"
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, f"ids used twice: {duplicates}"
    assert page.h1 == 1, f"{page.h1} <h1> on the page"
    nonce = csp_nonce(response)
    for script in page.scripts:
        if script.get("src") is None:
            assert script.get("nonce") == nonce, f"inline script without the nonce: {script}"
        else:
            assert str(script["src"]).startswith("/"), f"script from elsewhere: {script}"
    assert_security_headers(response)
    return page


def get(client: FlaskClient, url: str, **kwargs: object) -> tuple[TestResponse, Page]:
    """GET ``url`` and check the page (the HTML check runs on every GET of these tests)."""
    response = client.get(url, **kwargs)  # type: ignore[arg-type]
    return response, checked(response)


def assert_security_headers(response: TestResponse) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "X-Frame-Options" not in headers  # it would forbid the platform's iframe
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "no-referrer"
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=")


def directives(response: TestResponse) -> dict[str, list[str]]:
    csp = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in csp.split(";") if part.strip())
    }


# --- the headers --------------------------------------------------------------------------------


def test_frame_ancestors_lists_the_registered_platforms(client, platform: FakePlatform):
    response, page = get(client, "/home")  # an error page (no session) gets them too
    assert page.error == "session_missing"
    ancestors = directives(response)["frame-ancestors"]
    assert ancestors == ["'self'", platform.issuer]


def test_a_newly_registered_platform_may_frame_relais_at_once(app: Flask, client):
    before = directives(client.get("/lti/jwks"))["frame-ancestors"]
    other = FakePlatform(issuer="https://ent.example.net")
    LaunchHelper(app).register(other)
    after = directives(client.get("/lti/jwks"))["frame-ancestors"]
    assert other.issuer not in before
    assert other.issuer in after


def test_the_csp_nonce_changes_with_every_request(client, launcher: LaunchHelper):
    nonces = set()
    for _ in range(3):
        _, _, response = launcher.login(client, lti_storage_target="_parent")
        checked(response)  # the storage page: an inline script with this response's nonce
        nonces.add(csp_nonce(response))
    assert len(nonces) == 3


def test_the_storage_page_script_carries_the_nonce(client, launcher: LaunchHelper):
    _, _, response = launcher.login(client, lti_storage_target="_parent")
    page = checked(response)
    assert len(page.scripts) == 1
    assert page.scripts[0]["nonce"] == csp_nonce(response)


def test_every_kind_of_page_gets_the_headers(app: Flask, client, launcher: LaunchHelper):
    home = launcher.as_(client, "parent")
    assert checked(home).audience == "parent"
    _, missing = get(client, "/no-such-page")
    assert missing.error == "not_found"
    wrong_method = client.get("/lti/launch")
    assert wrong_method.status_code == 405
    assert checked(wrong_method).error == "method_not_allowed"
    assert_security_headers(client.get("/lti/jwks"))
    assert checked(client.get("/lti/login", query_string={"iss": "x"})).error == (
        "login_param_missing"
    )
    with client.get("/static/relais.css") as stylesheet:
        assert_security_headers(stylesheet)


def test_an_unexpected_failure_is_a_coded_page_with_the_headers(platform, database_url):
    app = make_app(database_url, "")

    def boom() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", view_func=boom)
    try:
        response = https_client(app).get("/boom")
    finally:
        app.extensions["relais_engine"].dispose()
    assert response.status_code == 500
    assert checked(response).error == "server_error"


# --- audiences ----------------------------------------------------------------------------------


def test_home_without_a_session_is_a_401_page(client):
    response, page = get(client, "/home")
    assert response.status_code == 401
    assert page.error == "session_missing"


def test_a_forged_session_is_no_session(app: Flask, client):
    with client.session_transaction() as session:
        session["who"] = {"audience": "admin"}  # not a whole identity
    response, page = get(client, "/home")
    assert response.status_code == 401
    assert page.error == "session_missing"


def test_the_session_cookie_rides_in_a_partitioned_cross_site_cookie(client, launcher):
    response = launcher.launch(client, "parent")
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("relais_session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "partitioned"} <= attributes
    assert "SameSite=None" in cookie
    assert "Domain" not in cookie


def test_the_state_cookie_is_partitioned_and_scoped_to_lti(client, launcher: LaunchHelper):
    _, _, response = launcher.login(client)
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("relais_state_")
    )
    assert "SameSite=None" in cookie
    for attribute in ("Secure", "HttpOnly", "Partitioned", "Path=/lti/"):
        assert attribute in cookie


# --- the language switch never redirects elsewhere ------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "landed"),
    [
        ("/home", "/home"),
        ("/home?x=1", "/home?x=1"),
        ("https://evil.example", "/home"),
        ("//evil.example", "/home"),
        ("/\\evil.example", "/home"),
        ("/\t/evil.example", "/home"),  # browsers drop tabs and newlines: //evil.example
        ("/\n/evil.example", "/home"),
        ("/\r\nSet-Cookie: x=1", "/home"),
        (" //evil.example", "/home"),
        ("", "/home"),
    ],
)
def test_the_language_switch_only_goes_back_to_a_local_path(client, wanted, landed):
    response = client.get("/lang", query_string={"to": "ar", "next": wanted})
    assert response.status_code == 303
    assert response.headers["Location"] == landed


# --- the database down ------------------------------------------------------------------------


def test_with_the_database_down_pages_still_carry_their_code_and_headers(tmp_path, caplog):
    # The headers are set after every response; reading the platforms' origins must not turn
    # a 401 or a 404 into a bare 500 (the default error handling then drops every header).
    app = make_app(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite3'}", str(tmp_path),
                   PROPAGATE_EXCEPTIONS=False)
    try:
        client = https_client(app)
        for url, status, code in [("/home", 401, "session_missing"),
                                  ("/no-such-page", 404, "not_found"),
                                  ("/lti/jwks", 500, "server_error")]:
            response = client.get(url)
            assert response.status_code == status
            page = checked(response)
            assert page.error == code
            assert directives(response)["frame-ancestors"] == ["'self'"]
    finally:
        app.extensions["relais_engine"].dispose()
