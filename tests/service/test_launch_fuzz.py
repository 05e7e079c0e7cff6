"""Garbage in every form field of ``/lti/login`` and ``/lti/launch``: never a 5xx, always a
known code.

A bounded number of examples per test keeps the run fast; the strategies mix garbage with
valid values so that the deeper steps (after the state, after the signature) are reached too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from lti.claims import CLAIM
from service.errors import MESSAGES
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import SHORT_CLAIMS, TOOL_BASE_URL, FakePlatform, b64url
from tests.service.test_launch import claims_for
from tests.service.test_security import checked

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is never a flake
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pages a launch or login may answer with besides an error page.
FALLBACK_PAGES = {"cookies_blocked"}

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
# Values that a platform, a browser or an attacker might really put in a field.
plausible = st.sampled_from(
    ["", " ", "null", "0", "-1", "https://moodle.example.org", TOOL_BASE_URL + "/home",
     "javascript:alert(1)", "../../etc/passwd", "%00", "\x00", "\u202e", "a" * 3000,
     "<script>alert(1)</script>", '"', "é", "😀", "relais-client-1", "1"]
)
garbage = st.one_of(text, plausible)


def assert_handled(response: TestResponse) -> None:
    """Below 500, and either a redirect, a page Relais means to show, or a coded error."""
    assert response.status_code < 500, response.get_data(as_text=True)[:600]
    if response.status_code in (302, 303):
        return
    page = checked(response)
    if response.status_code >= 400:
        assert page.error in MESSAGES, page.error
    else:
        assert page.error in FALLBACK_PAGES or page.error is None


LOGIN_FIELDS = ("iss", "login_hint", "target_link_uri", "client_id", "lti_deployment_id",
                "lti_message_hint", "lti_storage_target")


def _valid_login(platform: FakePlatform) -> dict[str, str]:
    return {
        "iss": platform.issuer,
        "login_hint": "user-42",
        "target_link_uri": TOOL_BASE_URL + "/home",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(LOGIN_FIELDS), st.one_of(st.none(), garbage)),
    extra=st.dictionaries(text, text, max_size=3),
    method=st.sampled_from(["GET", "POST"]),
)
def test_garbage_in_the_login(app: Flask, platform: FakePlatform, changes, extra, method):
    params = {**extra, **_valid_login(platform)}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    client = https_client(app)
    if method == "GET":
        response = client.get("/lti/login", query_string=params)
    else:
        response = client.post("/lti/login", data=params)
    assert_handled(response)


@st.composite
def id_tokens(draw: st.DrawFn) -> str:
    """Anything from plain garbage to three base64url parts of odd JSON."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    )
    kind = draw(st.sampled_from(["garbage", "parts"]))
    if kind == "garbage":
        return draw(garbage)
    header = draw(st.one_of(json_values, st.fixed_dictionaries(
        {"alg": st.sampled_from(["RS256", "none", "HS256", "ES256"]),
         "kid": st.one_of(text, st.just("platform-key-1"))})))
    payload = draw(json_values)
    signature = draw(st.binary(max_size=300))
    return ".".join(b64url(json.dumps(part).encode()) for part in (header, payload)) + "." + (
        b64url(signature)
    )


@FUZZ
@given(
    token=st.one_of(st.none(), id_tokens()),
    state=st.one_of(st.none(), st.just("VALID"), garbage),
    secret=st.one_of(st.none(), garbage),
    extra=st.dictionaries(text, text, max_size=3),
)
def test_garbage_in_the_launch(app: Flask, launcher: LaunchHelper, token, state, secret, extra):
    client = https_client(app)
    if state == "VALID":
        state, _, _ = launcher.login(client)
    form = dict(extra)
    for name, value in (("id_token", token), ("state", state),
                        ("relais_storage_secret", secret)):
        if value is not None:
            form[name] = value
    response = client.post("/lti/launch", data=form)
    assert_handled(response)
    event(f"status {response.status_code}")


@FUZZ
@given(body=st.binary(max_size=400),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data",
                                     "multipart/form-data; boundary=x", "text/plain",
                                     "application/json"]))
def test_raw_bytes_to_every_lti_endpoint(app: Flask, body, content_type):
    client = https_client(app)
    for url in ("/lti/login", "/lti/launch", "/lti/relaunch", "/lti/handoff"):
        assert_handled(client.post(url, data=body, content_type=content_type))


# Claims whose odd values travel past validation into the adapter, the session and the home.
CLAIMS_TO_FUZZ = ["sub", "name", "given_name", "family_name", "locale", "email",
                  *SHORT_CLAIMS, CLAIM + "ext", "https://purl.imsglobal.org/spec/lti/claim/lis"]

claim_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | garbage,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(garbage, inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(
    overrides=st.dictionaries(st.sampled_from(CLAIMS_TO_FUZZ), claim_values, max_size=3),
    persona=st.sampled_from(["parent", "teacher", "admin", "learner"]),
)
def test_signed_tokens_with_odd_claims(app: Flask, launcher: LaunchHelper, platform, overrides,
                                       persona):
    """A token the platform really signed, with odd claim values: a launch or a coded page,
    and when it launches, the home page renders."""
    client = https_client(app)
    state, nonce, _ = launcher.login(client)
    claims: dict[str, Any] = claims_for(platform, nonce, persona)
    for name, value in overrides.items():
        claims[SHORT_CLAIMS.get(name, name)] = value
    response = client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": state})
    assert_handled(response)
    event(f"status {response.status_code}")
    if response.status_code == 303:
        home = client.get(response.headers["Location"])
        assert home.status_code == 200, home.get_data(as_text=True)[:600]
        assert checked(home).audience in ("parent", "teacher", "admin", "learner")


@pytest.mark.parametrize("url", ["/lti/relaunch", "/lti/handoff"])
@pytest.mark.parametrize("value", ["", "x", "a" * 101, "é" * 50, "\x00"])
def test_the_fallback_endpoints_refuse_what_they_did_not_issue(client, url, value):
    response = client.post(url, data={"state": value, "code": value})
    assert_handled(response)
    assert response.status_code in (400, 401)
