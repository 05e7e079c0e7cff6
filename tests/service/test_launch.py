"""Every way a launch is refused through HTTP: a 4xx page with its own code, never a 5xx.

Each test drives the real endpoints: an OIDC login at ``/lti/login`` (which sets the state
cookie and stores the nonce), then a POST to ``/lti/launch`` of an id_token signed at test time
with the platform's key, with one thing wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lti.platform_keys import PlatformKeyCache
from tests.conftest import https_client
from tests.helpers import PERSONAS, LaunchHelper
from tests.lti.platform import DROP, SHORT_CLAIMS, TOOL_BASE_URL, FakePlatform, b64url
from tests.service.test_security import checked

LAUNCH_URL = TOOL_BASE_URL + "/lti/launch"


# --- helpers shared by the launch tests ----------------------------------------------------------


class SteppingClock:
    """A clock for the platform key cache that tests move forward by hand."""

    def __init__(self) -> None:
        self.at = time.time()

    def now(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


def install_key_clock(app: Flask) -> SteppingClock:
    """Give the app a platform key cache on a clock the test controls (the token checks keep
    the real clock), so the refetch rate limit can be stepped over without sleeping."""
    clock = SteppingClock()
    app.extensions["relais_platform_keys"] = PlatformKeyCache(app.extensions["relais_http"], clock)
    return clock


def claims_for(
    fake: FakePlatform, nonce: str, persona: str = "parent", **overrides: Any
) -> dict[str, Any]:
    return fake.valid_claims(nonce=nonce, **{**PERSONAS[persona], **overrides})


def launch_with(
    launcher: LaunchHelper,
    client: FlaskClient,
    *,
    header: dict[str, Any] | None = None,
    fake: FakePlatform | None = None,
    persona: str = "parent",
    **overrides: Any,
) -> TestResponse:
    """A real login, then the launch POST of a token with ``overrides`` (claims) and
    ``header`` (JWS header members) changed."""
    fake = fake or launcher.platform
    assert fake is not None
    state, nonce, _ = launcher.login(client, fake)
    token = fake.sign(claims_for(fake, nonce, persona, **overrides), **(header or {}))
    return client.post("/lti/launch", data={"id_token": token, "state": state})


def rejected(response: TestResponse, code: str, status: int | None = None) -> None:
    """The response is the coded error page ``code`` with a 4xx status (``status`` exactly)."""
    body = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, body[:400])
    if status is not None:
        assert response.status_code == status
    assert checked(response).error == code, body[:400]


def logged_field(caplog: pytest.LogCaptureFixture, code: str) -> str | None:
    """The ``field`` the service logged for the last error ``code`` (never a claim value)."""
    for record in reversed(caplog.records):
        message = record.getMessage()
        if message.startswith(f"error {code} "):
            value = message.split(" field=")[1].split(" ")[0]
            return None if value == "None" else value
    raise AssertionError(f"no log line for {code}")


def tamper(token: str, **claims: Any) -> str:
    """The token with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(claims)
    return ".".join((header, b64url(json.dumps(body).encode()), signature))


# --- the happy path, as a baseline for every rejection below -------------------------------------


def test_a_valid_launch_lands_on_the_home(client, launcher: LaunchHelper):
    response = launch_with(launcher, client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/home")
    page = checked(client.get("/home"))
    assert page.audience == "parent"


# --- the signature and its header ----------------------------------------------------------------


def test_no_kid(client, launcher):
    rejected(launch_with(launcher, client, header={"kid": DROP}), "jwt_kid_missing", 401)


def test_empty_kid(client, launcher):
    rejected(launch_with(launcher, client, header={"kid": ""}), "jwt_kid_missing", 401)


def test_unknown_kid_refetches_the_key_set_once(app: Flask, client, launcher, platform):
    clock = install_key_clock(app)
    http = app.extensions["relais_http"]
    assert launch_with(launcher, https_client(app)).status_code == 303
    assert http.fetches[platform.jwks_url] == 1
    clock.advance(60)  # beyond the refetch rate limit, within the cache's max-age
    rejected(launch_with(launcher, client, header={"kid": "who-knows"}), "jwt_kid_unknown", 401)
    assert http.fetches[platform.jwks_url] == 2  # exactly one refetch for the unknown kid
    for kid in ("who-knows", "another-one", "and-a-third"):  # a flood of forged kids...
        rejected(launch_with(launcher, https_client(app), header={"kid": kid}), "jwt_kid_unknown")
    assert http.fetches[platform.jwks_url] == 2  # ...does not hammer the platform
    # and the known key still launches, from the cache
    assert launch_with(launcher, https_client(app)).status_code == 303
    assert http.fetches[platform.jwks_url] == 2


def test_bad_signature(client, launcher, platform):
    state, nonce, _ = launcher.login(client)
    token = platform.sign(claims_for(platform, nonce))
    forged = tamper(token, sub="someone-else")
    rejected(client.post("/lti/launch", data={"id_token": forged, "state": state}),
             "jwt_signature_invalid", 401)


def test_signature_of_another_key(client, launcher, platform):
    impostor = FakePlatform(key_name="impostor")  # same issuer, client and kid; another key
    rejected(launch_with(launcher, client, fake=impostor), "jwt_signature_invalid", 401)


def test_alg_none(client, launcher):
    rejected(launch_with(launcher, client, header={"alg": "none"}), "jwt_alg_not_allowed", 401)


def test_alg_none_without_signature(client, launcher, platform):
    state, nonce, _ = launcher.login(client)
    header = b64url(json.dumps({"alg": "none", "kid": platform.kid}).encode())
    body = b64url(json.dumps(claims_for(platform, nonce)).encode())
    response = client.post("/lti/launch", data={"id_token": f"{header}.{body}.", "state": state})
    rejected(response, "jwt_malformed", 400)  # not even a JWS: refused before reading alg


def test_hs256_signed_with_the_platform_public_key(client, launcher, platform):
    state, nonce, _ = launcher.login(client)
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": platform.kid}).encode())
    body = b64url(json.dumps(claims_for(platform, nonce)).encode())
    mac = hmac.new(platform.public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{b64url(mac)}"
    rejected(client.post("/lti/launch", data={"id_token": token, "state": state}),
             "jwt_alg_not_allowed", 401)


# --- the claims -----------------------------------------------------------------------------------

CLAIM_CASES = [
    # (test id, claim overrides, code, status, logged field)
    ("version wrong", {"version": "1.1.0"}, "version_invalid", 400, None),
    ("version missing", {"version": DROP}, "version_invalid", 400, None),
    ("message_type missing", {SHORT_CLAIMS["message_type"]: DROP}, "message_type_missing", 400,
     None),
    ("message_type unknown", {SHORT_CLAIMS["message_type"]: "LtiSubmissionReviewRequest"},
     "message_type_unsupported", 400, None),
    ("roles missing", {"roles": DROP}, "claim_missing", 400, "roles"),
    ("deployment_id missing", {"deployment_id": DROP}, "deployment_missing", 400, None),
    ("resource_link missing", {"resource_link": DROP}, "claim_missing", 400, "resource_link.id"),
    ("resource_link.id missing", {"resource_link": {"title": "Espace parents"}}, "claim_missing",
     400, "resource_link.id"),
    ("sub missing", {"sub": DROP}, "claim_missing", 400, "sub"),
    ("sub empty", {"sub": ""}, "claim_missing", 400, "sub"),
    ("iss unknown", {"iss": "https://unknown.example"}, "platform_unknown", 403, None),
    ("aud not ours", {"aud": "another-tool"}, "aud_mismatch", 401, None),
    ("extra untrusted aud", {"aud": ["relais-client-1", "another-tool"], "azp": "relais-client-1"},
     "aud_untrusted", 401, None),
    ("several aud, no azp", {"aud": ["relais-client-1", "another-tool"]}, "azp_missing", 401,
     None),
    ("azp wrong", {"azp": "another-tool"}, "azp_mismatch", 401, None),
    ("unknown deployment", {"deployment_id": "999"}, "deployment_unknown", 403, None),
    ("target_link_uri not ours", {"target_link_uri": "https://evil.example/lti/launch"},
     "target_link_uri_foreign", 400, None),
    ("target_link_uri other port", {"target_link_uri": TOOL_BASE_URL + ":8443/lti/launch"},
     "target_link_uri_foreign", 400, None),
]


@pytest.mark.parametrize(
    ("overrides", "code", "status", "field"),
    [case[1:] for case in CLAIM_CASES],
    ids=[case[0] for case in CLAIM_CASES],
)
def test_claim_rejections(client, launcher, caplog, overrides, code, status, field):
    caplog.set_level(logging.WARNING, "service.errors")
    rejected(launch_with(launcher, client, **overrides), code, status)
    assert logged_field(caplog, code) == field


def test_nothing_is_granted_by_a_rejected_launch(client, launcher):
    rejected(launch_with(launcher, client, aud="another-tool"), "aud_mismatch")
    response = client.get("/home")
    assert response.status_code == 401
    assert checked(response).error == "session_missing"


def test_expired(client, launcher):
    now = time.time()
    rejected(launch_with(launcher, client, iat=int(now) - 200, exp=int(now) - 100),
             "token_expired", 401)


def test_expired_within_the_leeway_is_accepted(client, launcher):
    # Moodle's tokens live 60 s and clocks drift: a few seconds late still launches.
    now = time.time()
    assert launch_with(launcher, client, iat=int(now) - 65, exp=int(now) - 5).status_code == 303


def test_iat_in_the_future(client, launcher):
    now = time.time()
    rejected(launch_with(launcher, client, iat=int(now) + 120, exp=int(now) + 180),
             "token_issued_in_future", 401)


# --- the nonce --------------------------------------------------------------------------------


def _state_cookie(login: TestResponse) -> str:
    cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("relais_state_"))
    return cookie.split(";")[0]


def test_the_same_post_twice_is_a_replay(app: Flask, launcher, platform):
    browser = https_client(app)
    state, nonce, login = launcher.login(browser)
    token = platform.sign(claims_for(platform, nonce))
    # The attacker replays the very request: same body, same cookie.
    replayer = app.test_client(use_cookies=False)
    replayer.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "relais.example.fr"})
    request = {"data": {"id_token": token, "state": state},
               "headers": {"Cookie": _state_cookie(login)}}
    assert replayer.post("/lti/launch", **request).status_code == 303
    rejected(replayer.post("/lti/launch", **request), "nonce_replayed", 401)


def test_the_browser_posting_again_after_success_is_refused(client, launcher, platform):
    state, nonce, _ = launcher.login(client)
    form = {"id_token": platform.sign(claims_for(platform, nonce)), "state": state}
    assert client.post("/lti/launch", data=form).status_code == 303
    rejected(client.post("/lti/launch", data=form), "state_mismatch", 401)  # the login is spent


def test_nonce_never_issued(client, launcher, platform):
    state, _, _ = launcher.login(client)
    token = platform.sign(claims_for(platform, secrets.token_urlsafe(32)))
    rejected(client.post("/lti/launch", data={"id_token": token, "state": state}),
             "nonce_unknown", 401)


def test_nonce_of_another_login(app: Flask, client, launcher, platform):
    state, _, _ = launcher.login(client)
    _, other_nonce, _ = launcher.login(https_client(app))
    # A nonce we did issue, but for another browser's login: still valid once, as the
    # state already ties the post to this browser.
    token = platform.sign(claims_for(platform, other_nonce))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code == 303


def test_nonce_missing(client, launcher, platform):
    state, _, _ = launcher.login(client)
    claims = claims_for(platform, "unused")
    del claims["nonce"]
    rejected(client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": state}),
             "nonce_missing", 401)


# --- the state --------------------------------------------------------------------------------


def test_state_missing(client, launcher, platform):
    _, nonce, _ = launcher.login(client)
    token = platform.sign(claims_for(platform, nonce))
    rejected(client.post("/lti/launch", data={"id_token": token}), "state_missing", 400)
    rejected(client.post("/lti/launch", data={"id_token": token, "state": ""}), "state_missing",
             400)


def test_state_of_another_login(app: Flask, client, launcher, platform):
    """The browser holds the cookie of its own login and posts the state of another one (an
    attacker's login, to sign the victim in as the attacker): refused, never 'cookies blocked'."""
    launcher.login(client)  # the victim's own login: its state cookie is in the browser
    state, nonce, _ = launcher.login(https_client(app))  # the attacker's login
    token = platform.sign(claims_for(platform, nonce))
    rejected(client.post("/lti/launch", data={"id_token": token, "state": state}),
             "state_mismatch", 401)
    home = client.get("/home")
    assert home.status_code == 401
    assert checked(home).error == "session_missing"


def test_state_never_issued(client, launcher, platform):
    _, nonce, _ = launcher.login(client)
    token = platform.sign(claims_for(platform, nonce))
    for state in ("forged", "x" * 64, "x" * 500, "é" * 30):
        rejected(client.post("/lti/launch", data={"id_token": token, "state": state}),
                 "state_mismatch", 401)


def test_a_nul_character_matches_nothing_stored(app: Flask, client, launcher, platform):
    # PostgreSQL text cannot hold NUL; such a value must be refused, not sent to the database.
    state, nonce, _ = launcher.login(client)
    token = platform.sign(claims_for(platform, nonce, iss=platform.issuer + "\x00"))
    rejected(client.post("/lti/launch", data={"id_token": token, "state": state}),
             "platform_unknown", 403)
    state, _, _ = launcher.login(client)
    token = platform.sign(claims_for(platform, "nonce\x00"))
    rejected(client.post("/lti/launch", data={"id_token": token, "state": state}),
             "nonce_unknown", 401)
    for bad_state in ("\x00", state + "\x00"):
        form = {"id_token": token, "state": bad_state}
        rejected(https_client(app).post("/lti/launch", data=form), "state_mismatch", 401)
        rejected(https_client(app).post("/lti/relaunch", data={"state": bad_state}),
                 "login_expired", 400)


# --- the login step ---------------------------------------------------------------------------


def _login(client: FlaskClient, platform: FakePlatform, **params: str) -> TestResponse:
    query = {
        "iss": platform.issuer,
        "login_hint": "user-42",
        "target_link_uri": TOOL_BASE_URL + "/home",
        "client_id": platform.client_id,
        **params,
    }
    return client.get("/lti/login", query_string={k: v for k, v in query.items() if v != ""})


def test_login_redirects_to_the_platform(client, platform):
    response = _login(client, platform, lti_message_hint="hint-7")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(platform.auth_login_url + "?")
    for expected in ("scope=openid", "response_type=id_token", "response_mode=form_post",
                     "prompt=none", "lti_message_hint=hint-7",
                     "redirect_uri=https%3A%2F%2Frelais.example.fr%2Flti%2Flaunch"):
        assert expected in location


def test_login_by_post_also_works(client, platform):
    response = client.post("/lti/login", data={
        "iss": platform.issuer, "login_hint": "u", "target_link_uri": LAUNCH_URL,
    })
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("params", "code", "status"),
    [
        ({"target_link_uri": "https://evil.example/lti/launch"}, "target_link_uri_foreign", 400),
        ({"target_link_uri": "http://relais.example.fr/home"}, "target_link_uri_foreign", 400),
        ({"target_link_uri": "/home"}, "target_link_uri_foreign", 400),
        ({"iss": "https://unknown.example"}, "platform_unknown", 403),
        ({"client_id": "another-client"}, "platform_unknown", 403),
        ({"lti_deployment_id": "999"}, "deployment_unknown", 403),
        ({"iss": ""}, "login_param_missing", 400),
        ({"login_hint": ""}, "login_param_missing", 400),
        ({"target_link_uri": ""}, "login_param_missing", 400),
        ({"login_hint": "a\x00b"}, "login_param_invalid", 400),
        ({"iss": "x" * 3000}, "login_param_invalid", 400),
    ],
    ids=["tlu foreign host", "tlu http", "tlu relative", "iss unknown", "client unknown",
         "deployment unknown", "iss missing", "login_hint missing", "tlu missing",
         "control character", "overlong"],
)
def test_login_rejections(client, platform, params, code, status):
    response = _login(client, platform, **params)
    rejected(response, code, status)
    assert not any(c.startswith("relais_state_") for c in response.headers.getlist("Set-Cookie"))


# --- malformed tokens -------------------------------------------------------------------------


def _b64json(value: Any) -> str:
    return b64url(json.dumps(value).encode())


MALFORMED = {
    "missing": None,
    "empty": "",
    "one part": "abc",
    "two parts": "abc.def",
    "four parts": "a.b.c.d",
    "not base64": "a*b.c$d.e!f",
    "not json": f"{b64url(b'not json')}.{b64url(b'{}')}.c2ln",
    "header a list": f"{_b64json([])}.{_b64json({})}.c2ln",
    "payload a string": f"{_b64json({'alg': 'RS256', 'kid': 'k'})}.{_b64json('hi')}.c2ln",
    "non-ascii": "é.é.é",
    "spaces": "a b.c d.e f",
    "critical extension": f"{_b64json({'alg': 'RS256', 'kid': 'k', 'crit': ['b64']})}"
                          f".{_b64json({})}.c2ln",
    "too long": "a" * 30_000 + ".b.c",
    "deep json": f"{b64url(b'[' * 100_000)}.{_b64json({})}.c2ln",
}


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_jwt(client, launcher, token):
    state, _, _ = launcher.login(client)
    form = {"state": state} if token is None else {"state": state, "id_token": token}
    rejected(client.post("/lti/launch", data=form), "jwt_malformed", 400)


def test_an_oversized_body_is_refused_politely(client, launcher):
    state, _, _ = launcher.login(client)
    response = client.post("/lti/launch", data={"state": state, "id_token": "a" * 3_000_000})
    rejected(response, "payload_too_large", 413)
