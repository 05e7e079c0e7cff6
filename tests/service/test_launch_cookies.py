"""Launches in an iframe that keeps no cookie (Safari, Chromium with third-party cookies
blocked): the platform's storage when it offers one, else a new window; nothing that grants
access travels in a URL, and a handoff code works once.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from service.launch.login_tokens import short_name
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_launch import claims_for, rejected
from tests.service.test_security import checked, get


def cookieless(app: Flask) -> FlaskClient:
    """A browser frame that drops every cookie it is given."""
    client = app.test_client(use_cookies=False)
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "relais.example.fr"})
    return client


def hidden_inputs(html: str) -> dict[str, str]:
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)"[^>]*value="([^"]*)"',
                                      html)
    }


def form_action(html: str) -> str:
    match = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert match, html[:500]
    return unescape(match.group(1))


def assert_signed_out(app: Flask, client: FlaskClient) -> None:
    response, page = get(client, "/home")
    assert response.status_code == 401
    assert page.error == "session_missing"


# --- no cookie, no platform storage: a new window ------------------------------------------------


def test_without_the_state_cookie_the_launch_offers_a_new_window(app: Flask, launcher, platform):
    state, nonce, _ = launcher.login(https_client(app))  # the cookie is set, the frame drops it
    frame = cookieless(app)
    token = platform.sign(claims_for(platform, nonce))
    response = frame.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 200
    page = checked(response)
    assert page.error == "cookies_blocked"
    html = response.get_data(as_text=True)
    assert "nouvelle fenêtre" in html
    assert form_action(html) == "/lti/relaunch"
    assert 'target="_blank"' in html
    assert hidden_inputs(html) == {"state": state}  # not the token: it grants nothing later
    assert not response.headers.getlist("Set-Cookie")
    assert_signed_out(app, frame)


def test_the_new_window_restarts_the_login_and_completes_at_top_level(app: Flask, launcher,
                                                                       platform):
    state, nonce, _ = launcher.login(https_client(app), lti_message_hint="hint-7")
    frame = cookieless(app)
    frame.post("/lti/launch", data={"id_token": platform.sign(claims_for(platform, nonce)),
                                    "state": state})

    window = https_client(app)  # a new top-level window: first-party cookies work
    relaunch = window.post("/lti/relaunch", data={"state": state})
    assert relaunch.status_code == 303
    location = urlsplit(relaunch.headers["Location"])
    assert location.path == "/lti/login"
    assert {k: v[0] for k, v in parse_qs(location.query).items()} == {
        "iss": platform.issuer,
        "login_hint": "user-42",
        "target_link_uri": "https://relais.example.fr/home",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        "lti_message_hint": "hint-7",
    }
    assert_signed_out(app, window)  # restarting grants nothing by itself

    # The platform authenticates the person again and posts a fresh token to the window.
    login = window.get(relaunch.headers["Location"])
    assert login.status_code == 302
    sent = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
    assert sent["state"] != state
    launch = window.post("/lti/launch", data={
        "id_token": platform.sign(claims_for(platform, sent["nonce"])), "state": sent["state"]})
    assert launch.status_code == 303
    response, page = get(window, launch.headers["Location"])
    assert page.audience == "parent"


def test_relaunch_of_a_login_never_issued(client):
    rejected(client.post("/lti/relaunch", data={"state": "forged"}), "login_expired", 400)


def test_relaunch_of_a_forged_login_is_refused(app: Flask, client, launcher):
    state, _, _ = launcher.login(client)
    forged = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    rejected(https_client(app).post("/lti/relaunch", data={"state": forged}), "login_expired")


# --- the platform's storage (lti_storage_target) ------------------------------------------------


def _storage_login(app: Flask, launcher: LaunchHelper, target: str) -> tuple[str, str, str]:
    """A login in a frame offering platform storage: (state, nonce, secret put in storage)."""
    state, nonce, response = launcher.login(https_client(app), lti_storage_target=target)
    assert response.status_code == 200
    page = checked(response)
    assert page.error is None
    html = response.get_data(as_text=True)
    put = re.search(r'relaisStorage\(("[^"]*"), ("[^"]*"), "lti.put_data",\s*'
                    r'\{key: ("[^"]*"), value: "([^"]*)"\}', html)
    assert put, html
    assert put.group(1) == f'"{target}"'
    assert put.group(2) == '"https://moodle.example.org"'
    assert put.group(3) == f'"relais_{short_name(state)}"'
    return state, nonce, put.group(4)


def test_with_platform_storage_the_launch_reads_the_secret_back(app: Flask, launcher, platform):
    state, nonce, secret = _storage_login(app, launcher, "post_message_forwarding")
    frame = cookieless(app)
    token = platform.sign(claims_for(platform, nonce))

    ask = frame.post("/lti/launch", data={"id_token": token, "state": state})
    assert ask.status_code == 200
    page = checked(ask)
    assert len(page.scripts) == 1
    html = ask.get_data(as_text=True)
    # The same frame the login wrote to, asked for the same key.
    assert ('relaisStorage("post_message_forwarding", "https://moodle.example.org", '
            f'"lti.get_data",\n  {{key: "relais_{short_name(state)}"}}') in html
    assert form_action(html) == "/lti/launch"
    form = hidden_inputs(html)
    assert form == {"id_token": token, "state": state, "relais_storage_secret": ""}
    assert_signed_out(app, frame)

    # The script fills the secret in and posts again: proven, handed to a new window.
    handoff = frame.post("/lti/launch", data={**form, "relais_storage_secret": secret})
    assert handoff.status_code == 200
    page = checked(handoff)
    assert page.error == "cookies_blocked"
    html = handoff.get_data(as_text=True)
    assert form_action(html) == "/lti/handoff"
    code = hidden_inputs(html)["code"]
    assert code not in handoff.headers.get("Location", "")

    window = https_client(app)
    opened = window.post("/lti/handoff", data={"code": code})
    assert opened.status_code == 303
    assert urlsplit(opened.headers["Location"]).query == ""  # nothing in the URL
    response, page = get(window, opened.headers["Location"])
    assert response.status_code == 200
    assert page.audience == "parent"

    # The code works once.
    thief = https_client(app)
    rejected(thief.post("/lti/handoff", data={"code": code}), "session_missing", 401)
    assert_signed_out(app, thief)


def test_with_platform_storage_a_wrong_secret_is_refused(app: Flask, launcher, platform):
    state, nonce, _ = _storage_login(app, launcher, "_parent")
    token = platform.sign(claims_for(platform, nonce))
    frame = cookieless(app)
    response = frame.post("/lti/launch", data={"id_token": token, "state": state,
                                               "relais_storage_secret": "guessed"})
    rejected(response, "state_mismatch", 401)
    assert_signed_out(app, frame)


def test_when_platform_storage_answers_nothing_a_new_window_is_offered(app: Flask, launcher,
                                                                       platform):
    state, nonce, _ = _storage_login(app, launcher, "_parent")
    token = platform.sign(claims_for(platform, nonce))
    response = cookieless(app).post("/lti/launch", data={"id_token": token, "state": state,
                                                         "relais_storage_secret": ""})
    assert response.status_code == 200
    assert checked(response).error == "cookies_blocked"
    html = response.get_data(as_text=True)
    assert form_action(html) == "/lti/relaunch"
    # At top level the restarted login uses plain cookies, not the platform's storage.
    relaunch = https_client(app).post("/lti/relaunch", data={"state": state})
    assert "lti_storage_target" not in relaunch.headers["Location"]


def test_with_platform_storage_and_cookies_the_cookie_is_enough(client, launcher: LaunchHelper,
                                                                platform: FakePlatform):
    state, nonce, _ = launcher.login(client, lti_storage_target="_parent")
    token = platform.sign(claims_for(platform, nonce))
    response = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 303
    _, page = get(client, response.headers["Location"])
    assert page.audience == "parent"
