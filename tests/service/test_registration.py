"""Dynamic registration end to end, against a platform stub served over real HTTP on 127.0.0.1:
the operator's one-time link, the platform's configuration and registration endpoints, then a
launch through the platform just registered. Every failure leaves nothing stored and the link
usable again."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask, Response, request
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lti.dynamic_registration import NRPS_READONLY, PLATFORM_CONFIGURATION, TOOL_CONFIGURATION
from lti.http import RequestsHttpClient
from lti.keys import public_jwk
from service import db
from service.platforms.models import Platform
from service.registration import links
from service.registration.models import RegistrationLink
from tests.helpers import PERSONAS
from tests.lti.platform import TOOL_BASE_URL, FakePlatform, rsa_key

REGISTRATION_TOKEN = "eyJhbGciOiJSUzI1NiJ9.reg-token.sig"


class PlatformStub:
    """A Moodle-like platform on a real port: openid-configuration, openid-registration,
    certs (JWKS) and auth (OIDC, answering with the auto-post form). Tests change its
    behaviour through the attributes."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.key_name = "stub-platform"
        self.kid = "stub-key-1"
        self.config_overrides: dict[str, Any] = {}
        self.config_answer: tuple[int, bytes] | None = None
        self.registration_answer: tuple[int, bytes] | None = None
        self.answer_overrides: dict[str, Any] = {}
        self.delay = 0.0
        self.client_id = "kLm4pQ7rS9"
        self.deployment_id = "7"
        self.registrations: list[tuple[dict[str, str], Any]] = []
        self.registered: dict[str, Any] | None = None
        self.persona = "admin"
        app = Flask("platform_stub")
        app.add_url_rule(prefix + "/mod/lti/openid-configuration.php", view_func=self._config)
        app.add_url_rule(prefix + "/mod/lti/openid-registration.php", view_func=self._register,
                         methods=["POST"])
        app.add_url_rule(prefix + "/mod/lti/certs.php", view_func=self._certs)
        app.add_url_rule(prefix + "/mod/lti/auth.php", view_func=self._auth)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def issuer(self) -> str:
        return self.url + self.prefix

    @property
    def configuration_url(self) -> str:
        return self.issuer + "/mod/lti/openid-configuration.php"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def configuration(self) -> dict[str, Any]:
        base = self.issuer
        document = {
            "issuer": base,
            "token_endpoint": base + "/mod/lti/token.php",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "jwks_uri": base + "/mod/lti/certs.php",
            "authorization_endpoint": base + "/mod/lti/auth.php",
            "registration_endpoint": base + "/mod/lti/openid-registration.php",
            "scopes_supported": ["https://purl.imsglobal.org/spec/lti-ags/scope/score",
                                 NRPS_READONLY, "openid"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {
                "product_family_code": "moodle",
                "version": "4.1.2",
                "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
            },
        }
        document.update(self.config_overrides)
        return document

    def _config(self) -> Response:
        time.sleep(self.delay)
        if self.config_answer:
            return Response(self.config_answer[1], self.config_answer[0])
        return Response(json.dumps(self.configuration()), mimetype="application/json")

    def _register(self) -> Response:
        self.registrations.append((dict(request.headers), request.get_json(silent=True)))
        if self.registration_answer:
            return Response(self.registration_answer[1], self.registration_answer[0])
        # What Moodle checks (mod/lti/openid-registration.php, registration_helper).
        if request.headers.get("Authorization") != f"Bearer {REGISTRATION_TOKEN}":
            return Response("missing_registration_token", 401)
        body = request.get_json()
        for member in ("response_types", "initiate_login_uri", "redirect_uris", "client_name",
                       "jwks_uri", "token_endpoint_auth_method", TOOL_CONFIGURATION):
            if not body.get(member):
                return Response(f"missing required attribute {member}", 400)
        if "id_token" not in body["response_types"]:
            return Response("invalid_response_types", 400)
        if body["token_endpoint_auth_method"] != "private_key_jwt":
            return Response("invalid_token_endpoint_auth_method", 400)
        if not body[TOOL_CONFIGURATION].get("domain"):
            return Response("missing_domain", 400)
        self.registered = body
        answer = {
            "client_id": self.client_id,
            "response_types": ["id_token"],
            "jwks_uri": body["jwks_uri"],
            "initiate_login_uri": body["initiate_login_uri"],
            "redirect_uris": body["redirect_uris"],
            "application_type": "web",
            "token_endpoint_auth_method": "private_key_jwt",
            "client_name": body["client_name"],
            "scope": body["scope"],
            TOOL_CONFIGURATION: {"version": "1.3.0", "deployment_id": self.deployment_id,
                                 "target_link_uri": body[TOOL_CONFIGURATION]["target_link_uri"],
                                 "domain": body[TOOL_CONFIGURATION]["domain"]},
        }
        answer.update(self.answer_overrides)
        return Response(json.dumps(answer), mimetype="application/json")

    def _certs(self) -> Response:
        key = rsa_key(self.key_name).public_key()
        return Response(json.dumps({"keys": [public_jwk(self.kid, key)]}),
                        mimetype="application/json")

    def _auth(self) -> Response:
        args = request.args
        registered = self.registered or {}
        if (args.get("client_id") != self.client_id
                or args.get("redirect_uri") not in registered.get("redirect_uris", [])
                or (args.get("scope"), args.get("response_type")) != ("openid", "id_token")):
            return Response("invalid authentication request", 400)
        signer = FakePlatform(issuer=self.issuer, client_id=self.client_id,
                              deployment_id=self.deployment_id, kid=self.kid,
                              key_name=self.key_name)
        claims = signer.valid_claims(nonce=args["nonce"], **PERSONAS[self.persona])
        form = (f'<form method="post" action="{html.escape(args["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{signer.sign(claims)}">'
                f'<input type="hidden" name="state" value="{html.escape(args["state"])}">'
                "</form>")
        return Response(form, mimetype="text/html")


@pytest.fixture
def stub() -> Iterator[PlatformStub]:
    platform = PlatformStub()
    yield platform
    platform.stop()


@pytest.fixture
def real_http(app: Flask) -> Iterator[RequestsHttpClient]:
    """Relais talks to the stub over real HTTP (key sets included), with short timeouts."""
    client = RequestsHttpClient(timeout=1.0)
    app.extensions["relais_http"] = client
    app.extensions.pop("relais_platform_keys", None)
    yield client
    client.session.close()


def new_link(runner: Any, expires: str = "24h") -> str:
    result = runner.invoke(args=["registration-link", "--expires", expires])
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[0]
    assert url.startswith(TOOL_BASE_URL + "/lti/register/")
    return urlsplit(url).path


def open_link(client: FlaskClient, path: str, stub: PlatformStub, **params: str) -> Any:
    query = {"openid_configuration": stub.configuration_url,
             "registration_token": REGISTRATION_TOKEN, **params}
    return client.get(path + "?" + urlencode(query))


def error_code(response: Any) -> str | None:
    found = re.search(r'data-error="([a-z_]+)"', response.get_data(as_text=True))
    return found.group(1) if found else None


def platform_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Platform)) or 0


def link_row(app: Flask, path: str) -> RegistrationLink:
    with app.app_context():
        row = db.session().scalar(select(RegistrationLink).where(
            RegistrationLink.token_hash == links._hash(path.rsplit("/", 1)[1])))
        assert row is not None
        return row


def launch_through(client: FlaskClient, stub: PlatformStub) -> Any:
    """The OIDC login at Relais, the platform's auth endpoint over HTTP, the launch POST."""
    login = client.get("/lti/login", query_string={
        "iss": stub.issuer, "login_hint": "42", "target_link_uri": TOOL_BASE_URL + "/home",
        "client_id": stub.client_id, "lti_deployment_id": stub.deployment_id,
    })
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    location = login.headers["Location"]
    assert location.startswith(stub.issuer + "/mod/lti/auth.php?")
    form = requests.get(location, timeout=5).text
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', form))
    assert set(fields) == {"id_token", "state"}, form
    return client.post("/lti/launch", data={k: html.unescape(v) for k, v in fields.items()})


# --- the whole flow ----------------------------------------------------------------------------


def test_register_in_one_paste_then_launch_through_the_new_platform(
        app: Flask, client: FlaskClient, runner: Any, stub: PlatformStub,
        real_http: RequestsHttpClient) -> None:
    path = new_link(runner)
    page = open_link(client, path, stub)

    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    body = page.get_data(as_text=True)
    assert "data-registered=" in body
    # The LTI close message, to the window that opened us and to the frame that holds us.
    assert 'subject: "org.imsglobal.lti.close"' in body
    assert "window.opener.postMessage(message, \"*\")" in body
    assert "window.parent.postMessage(message, \"*\")" in body
    # The platform, not yet registered when it opened the page, may frame it.
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and stub.url in csp.split("frame-ancestors", 1)[1]

    # What Relais asked for: Moodle's required members, names but no email, read-only NRPS,
    # the deep linking message and its target, the token as bearer.
    [(headers, sent)] = stub.registrations
    assert headers["Authorization"] == f"Bearer {REGISTRATION_TOKEN}"
    assert sent["initiate_login_uri"] == TOOL_BASE_URL + "/lti/login"
    assert sent["redirect_uris"] == [TOOL_BASE_URL + "/lti/launch"]
    assert sent["jwks_uri"] == TOOL_BASE_URL + "/lti/jwks"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent["client_name"] == "Relais"
    assert sent["logo_uri"] == TOOL_BASE_URL + "/static/relais-logo.svg"
    assert sent["scope"] == NRPS_READONLY
    block = sent[TOOL_CONFIGURATION]
    assert block["domain"] == "relais.example.fr"
    assert block["target_link_uri"] == TOOL_BASE_URL + "/home"
    assert block["messages"][0]["type"] == "LtiDeepLinkingRequest"
    assert block["messages"][0]["target_link_uri"].startswith(TOOL_BASE_URL)
    assert "email" not in block["claims"] and "given_name" in block["claims"]
    assert block["custom_parameters"] == {"relais_registration": "dynamic"}

    # Stored as the registry stores any platform: Moodle's adapter, its client and deployment.
    with app.app_context():
        platform = db.session().scalar(select(Platform))
        assert platform is not None
        assert (platform.issuer, platform.client_id, platform.adapter) == (
            stub.issuer, "kLm4pQ7rS9", "moodle")
        assert platform.auth_login_url == stub.issuer + "/mod/lti/auth.php"
        assert platform.auth_token_url == stub.issuer + "/mod/lti/token.php"
        assert platform.jwks_url == stub.issuer + "/mod/lti/certs.php"
        assert [d.deployment_id for d in platform.deployments] == ["7"]
        assert platform.name == urlsplit(stub.issuer).netloc
    row = link_row(app, path)
    assert row.used_at is not None and row.platform_id is not None
    with app.app_context():
        from service.privacy.models import AuditEntry

        entry = db.session().scalar(select(AuditEntry))
        assert (entry.platform_id, entry.action, entry.actor_kind) == (
            row.platform_id, "platform_registered", "operator")
        assert entry.detail == "moodle 4.1.2"

    # A launch through the platform just registered (its keys fetched over HTTP).
    launched = launch_through(client, stub)
    assert launched.status_code == 303, launched.get_data(as_text=True)[:800]
    home = client.get(launched.headers["Location"])
    assert home.status_code == 200
    assert 'data-audience="admin"' in home.get_data(as_text=True)

    # The link was for one registration only.
    again = open_link(client, path, stub)
    assert (again.status_code, error_code(again)) == (410, "registration_link_used")
    assert len(stub.registrations) == 1


def test_moodle_under_a_path_and_an_older_configuration(
        app: Flask, client: FlaskClient, runner: Any, real_http: RequestsHttpClient) -> None:
    stub = PlatformStub(prefix="/moodle")
    try:
        # Moodle 3.10-4.0: odd key, no authorization_endpoint.
        document = stub.configuration()
        del document["authorization_endpoint"]
        document[PLATFORM_CONFIGURATION + " "] = document.pop(PLATFORM_CONFIGURATION)
        stub.config_answer = (200, json.dumps(document).encode())
        page = open_link(client, new_link(runner), stub)
        assert page.status_code == 200, page.get_data(as_text=True)[:800]
        with app.app_context():
            platform = db.session().scalar(select(Platform))
            assert platform is not None
            assert platform.issuer == stub.url + "/moodle"
            assert platform.auth_login_url == stub.url + "/moodle/mod/lti/auth.php"
            assert platform.adapter == "moodle"
            assert platform.name == urlsplit(stub.url).netloc + "/moodle"
        launched = launch_through(client, stub)
        assert launched.status_code == 303, launched.get_data(as_text=True)[:800]
    finally:
        stub.stop()


def test_another_family_gets_the_generic_adapter_and_no_scope_it_does_not_offer(
        app: Flask, client: FlaskClient, runner: Any, stub: PlatformStub,
        real_http: RequestsHttpClient) -> None:
    stub.config_overrides = {
        PLATFORM_CONFIGURATION: {"product_family_code": "canvas",
                                 "messages_supported": [{"type": "LtiDeepLinkingRequest"}]},
        "scopes_supported": "openid",
    }
    page = open_link(client, new_link(runner), stub)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    assert stub.registrations[0][1]["scope"] == ""
    with app.app_context():
        assert db.session().scalar(select(Platform.adapter)) == "generic"


def test_a_second_registration_of_the_same_site_gets_its_own_name(
        app: Flask, client: FlaskClient, runner: Any, stub: PlatformStub,
        real_http: RequestsHttpClient) -> None:
    assert open_link(client, new_link(runner), stub).status_code == 200
    stub.client_id, stub.deployment_id = "second-client", "8"
    assert open_link(client, new_link(runner), stub).status_code == 200
    with app.app_context():
        names = sorted(db.session().scalars(select(Platform.name)))
    host = urlsplit(stub.issuer).netloc
    assert names == [host, f"{host} (2)"]


# --- links that do not work ----------------------------------------------------------------------


def test_a_forged_link_is_refused_before_anything_is_fetched(
        client: FlaskClient, stub: PlatformStub, real_http: RequestsHttpClient) -> None:
    for token in ("x" * 43, "short", "a" * 200, "../../etc"):
        page = open_link(client, f"/lti/register/{token}", stub)
        assert (page.status_code, error_code(page)) in (
            (404, "registration_link_unknown"), (404, "not_found")), token
    assert stub.registrations == []


def test_an_expired_link_is_refused(app: Flask, client: FlaskClient, stub: PlatformStub,
                                    real_http: RequestsHttpClient) -> None:
    with app.test_request_context():
        token, _ = links.create_link(60, now=time.time() - 120)
    page = open_link(client, f"/lti/register/{token}", stub)
    assert (page.status_code, error_code(page)) == (410, "registration_link_expired")
    assert stub.registrations == [] and platform_count(app) == 0


def test_a_link_in_use_by_another_tab_is_busy(app: Flask, client: FlaskClient, runner: Any,
                                              stub: PlatformStub,
                                              real_http: RequestsHttpClient) -> None:
    path = new_link(runner)
    with app.test_request_context():
        links.claim(path.rsplit("/", 1)[1])
    page = open_link(client, path, stub)
    assert (page.status_code, error_code(page)) == (409, "registration_link_busy")
    assert stub.registrations == []


def test_the_expiry_option(runner: Any) -> None:
    assert runner.invoke(args=["registration-link", "--expires", "30m"]).exit_code == 0
    for bad in ("0h", "31d", "tomorrow", "-1h"):
        result = runner.invoke(args=["registration-link", "--expires", bad])
        assert result.exit_code == 2 and "--expires" in result.output, bad
    assert links.parse_duration("7j") == 7 * 86400
    assert links.parse_duration("2") == 7200


def test_the_link_is_shown_once_and_stored_hashed(app: Flask, runner: Any) -> None:
    path = new_link(runner)
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session().execute(select(RegistrationLink.__table__)).all()
    assert len(stored) == 1 and token not in repr(stored)


# --- platforms that fail: a clear page, nothing stored, the link still usable ---------------------


def _mismatched(stub: PlatformStub) -> None:
    stub.config_overrides = {"issuer": "https://moodle.example.com"}


def _look_alike(stub: PlatformStub) -> None:
    port = stub.url.rsplit(":", 1)[1]
    stub.config_overrides = {"issuer": f"http://127.0.0.1.evil:{port}"}


def _sibling_path(stub: PlatformStub) -> None:
    stub.config_overrides = {"issuer": stub.url + "/mod/lti2"}


FAILURES = {
    "issuer of another site": (_mismatched, 400, "registration_issuer_mismatch"),
    "issuer of a look-alike host": (_look_alike, 400, "registration_issuer_mismatch"),
    "issuer of a sibling path": (_sibling_path, 400, "registration_issuer_mismatch"),
    "configuration 404": (lambda s: setattr(s, "config_answer", (404, b"Not found")), 502,
                          "registration_configuration_unavailable"),
    "configuration 500": (lambda s: setattr(s, "config_answer", (500, b"<h1>Error</h1>")), 502,
                          "registration_configuration_unavailable"),
    "configuration garbage": (lambda s: setattr(s, "config_answer", (200, b"<html>login")), 502,
                              "registration_configuration_invalid"),
    "configuration without key set": (lambda s: s.config_overrides.update(jwks_uri=None), 502,
                                      "registration_configuration_invalid"),
    "configuration too slow": (lambda s: setattr(s, "delay", 1.5), 502, "platform_unreachable"),
    "registration 401": (lambda s: setattr(s, "registration_answer", (401, b"token_used")), 400,
                         "registration_refused"),
    "registration 400": (lambda s: setattr(s, "registration_answer", (400, b"missing_domain")),
                         400, "registration_refused"),
    "registration 500": (lambda s: setattr(s, "registration_answer", (500, b"")), 502,
                         "registration_platform_error"),
    "registration garbage": (lambda s: setattr(s, "registration_answer", (200, b"{not json")),
                             502, "registration_response_invalid"),
    "registration without client id": (
        lambda s: s.answer_overrides.update(client_id=""), 502, "registration_response_invalid"),
    "registration without deployment": (
        lambda s: s.answer_overrides.update({TOOL_CONFIGURATION: {"version": "1.3.0"}}), 502,
        "registration_deployment_missing"),
    "registration with unusable endpoints": (
        lambda s: s.config_overrides.update(token_endpoint="http://x y/"), 502,
        "registration_configuration_invalid"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failing_platform_gives_a_clear_page_and_stores_nothing(
        app: Flask, client: FlaskClient, runner: Any, stub: PlatformStub,
        real_http: RequestsHttpClient, case: str) -> None:
    breaks, status, code = FAILURES[case]
    path = new_link(runner)
    breaks(stub)

    page = open_link(client, path, stub)

    assert (page.status_code, error_code(page)) == (status, code), page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    assert "Référence" in text and "<h1>" in text
    assert REGISTRATION_TOKEN not in text
    assert platform_count(app) == 0
    row = link_row(app, path)
    assert row.used_at is None and row.claimed_until is None

    # Once the platform is fixed, the same link works.
    fixed = PlatformStub()
    try:
        page = open_link(client, path, fixed)
        assert page.status_code == 200, page.get_data(as_text=True)[:800]
        assert platform_count(app) == 1
    finally:
        fixed.stop()


def test_an_unreachable_platform(app: Flask, client: FlaskClient, runner: Any,
                                 stub: PlatformStub, real_http: RequestsHttpClient) -> None:
    path = new_link(runner)
    url = stub.configuration_url
    stub.stop()
    page = client.get(path + "?" + urlencode({"openid_configuration": url}))
    assert (page.status_code, error_code(page)) == (502, "platform_unreachable")
    assert platform_count(app) == 0 and link_row(app, path).claimed_until is None


@pytest.mark.parametrize("query", [
    {},
    {"openid_configuration": ""},
    {"openid_configuration": "/mod/lti/openid-configuration.php"},
    {"openid_configuration": "file:///etc/passwd"},
])
def test_a_link_opened_without_a_platform_says_where_to_paste_it(
        app: Flask, client: FlaskClient, runner: Any, query: dict[str, str]) -> None:
    path = new_link(runner)
    page = client.get(path, query_string=query)
    assert (page.status_code, error_code(page)) == (400, "registration_param_invalid")
    assert "LTI" in page.get_data(as_text=True)
    assert link_row(app, path).claimed_until is None


def test_a_registry_refusal_rolls_the_link_back_too(
        app: Flask, client: FlaskClient, runner: Any, stub: PlatformStub,
        real_http: RequestsHttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link's consumption and the platform are one commit: if storing fails, neither."""
    from service.registration import links as links_module

    def refuse(data: Any) -> Any:
        db.session().flush()  # the link's used_at reached the database, uncommitted
        raise ValueError("name: taken")

    monkeypatch.setattr(links_module, "register", refuse)
    path = new_link(runner)
    page = open_link(client, path, stub)
    assert (page.status_code, error_code(page)) == (502, "registration_configuration_invalid")
    row = link_row(app, path)
    assert row.used_at is None and row.claimed_until is None
    assert platform_count(app) == 0


def test_every_registration_code_has_a_french_page() -> None:
    from lti.dynamic_registration import REGISTRATION_ERROR_CODES
    from service.errors import MESSAGES

    service_codes = ("registration_link_unknown", "registration_link_used",
                     "registration_link_expired", "registration_link_busy",
                     "registration_deployment_missing")
    for code in (*REGISTRATION_ERROR_CODES, *service_codes):
        happened, todo = MESSAGES[code]
        assert str(happened) and str(todo), code


def test_the_query_string_never_reaches_the_logs(
        client: FlaskClient, runner: Any, stub: PlatformStub, real_http: RequestsHttpClient,
        caplog: pytest.LogCaptureFixture) -> None:
    stub.registration_answer = (500, b"")
    open_link(client, new_link(runner), stub)
    assert REGISTRATION_TOKEN not in caplog.text

