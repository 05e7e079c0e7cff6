"""Deep Linking 2.0: the picker, the signed answer checked platform-side with independent JWT
libraries (joserfc, and PyJWT when installed) and the tool's JWKS, the created link launching a
parent into its view, accept_types and accept_multiple respected."""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from lti.claims import CLAIM, DL_CLAIM
from lti.launch_data import MESSAGE_DEEP_LINKING
from service import db
from service.teachers.models import DeepLinkRequest
from service.topics import TOPICS
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import TOOL_LAUNCH_URL, FakePlatform
from tests.service.test_teachers import CLASS_A, csrf, page, text

RETURN_URL = "https://moodle.example.org/mod/lti/contentitem_return.php"


def settings(**overrides: Any) -> dict[str, Any]:
    return {"deep_link_return_url": RETURN_URL, "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": False, "data": "opaque-platform-data", **overrides}


def open_picker(launcher: LaunchHelper, client: FlaskClient, persona: str = "teacher",
                **dl: Any) -> Any:
    response = launcher.launch(client, persona, message_type=MESSAGE_DEEP_LINKING,
                               deep_linking_settings=settings(**dl), context=CLASS_A)
    return response


def choose(client: FlaskClient, **form: Any) -> Any:
    return client.post("/enseignant/contenu", data={**form, "csrf_token": csrf(client)})


def posted_back(response: Any) -> tuple[str, str]:
    """The action and the JWT of the auto-posted form."""
    body = response.get_data(as_text=True)
    action = unescape(re.search(r'<form id="back-to-platform" method="post" action="([^"]+)"',
                                body).group(1))  # type: ignore[union-attr]
    token = re.search(r'name="JWT" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    return action, token


def verify(client: FlaskClient, token: str, platform: FakePlatform) -> dict[str, Any]:
    """What the platform does: check the answer against the tool's published key set."""
    jwks = client.get("/lti/jwks").get_json()
    claims: dict[str, Any] = jwt.decode(token, KeySet.import_key_set(jwks),
                                        algorithms=["RS256"]).claims
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": platform.client_id},
        aud={"essential": True, "value": platform.issuer},
        exp={"essential": True}, iat={"essential": True}, nonce={"essential": True},
    )
    registry.validate(claims)
    return claims


def test_a_teacher_picks_a_view_and_the_platform_accepts_the_signed_answer(
    app: Flask, client: FlaskClient, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    response = open_picker(launcher, client)
    assert response.status_code == 303 and response.headers["Location"] == "/enseignant/contenu"
    picker = client.get("/enseignant/contenu")
    parsed = page(picker)
    body = text(picker)
    assert parsed.body.get("data-audience") == "teacher" and not parsed.scripts
    assert body.count('type="radio" id="field-views-') == 3  # one item accepted: radios
    assert "La plateforme accepte un seul contenu à la fois." in body

    chosen = choose(client, views="help", languages=["ar", "fr"],
                    topics=["connect_ent", "forgot_password", "create_email"])
    parsed = page(chosen)
    assert len(parsed.scripts) == 1 and parsed.scripts[0].get("nonce")
    assert "<noscript>" in chosen.get_data(as_text=True)  # works without JavaScript
    action, token = posted_back(chosen)
    assert action == RETURN_URL

    claims = verify(client, token, platform)
    now = time.time()
    assert now - 60 < claims["iat"] <= now + 1 and claims["exp"] == claims["iat"] + 300
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == platform.deployment_id
    assert claims[DL_CLAIM + "data"] == "opaque-platform-data"
    assert claims[DL_CLAIM + "msg"] == "Relais : 1 contenu ajouté."
    assert claims[DL_CLAIM + "content_items"] == [{
        "type": "ltiResourceLink",
        "title": "Espace parents : besoin d'aide ?",
        "text": claims[DL_CLAIM + "content_items"][0]["text"],
        "url": TOOL_LAUNCH_URL,
        "custom": {"audience": "parents", "view": "help", "languages": "ar,fr",
                   "topics": "connect_ent,forgot_password,create_email"},
    }]
    # The answer is sent once: the request is gone, a second post gets a clear page.
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(DeepLinkRequest)) == 0
    again = choose(client, views="help", topics=list(TOPICS))
    assert page(again, 400).body.get("data-error") == "deep_link_expired"


def test_pyjwt_accepts_the_answer_too(client: FlaskClient, platform: FakePlatform,
                                      launcher: LaunchHelper) -> None:
    pyjwt = pytest.importorskip("jwt")
    open_picker(launcher, client)
    _, token = posted_back(choose(client, views="events", topics=list(TOPICS)))
    jwks = client.get("/lti/jwks").get_json()
    kid = pyjwt.get_unverified_header(token)["kid"]
    key = pyjwt.PyJWKSet.from_dict(jwks)[kid].key
    claims = pyjwt.decode(token, key, algorithms=["RS256"], audience=platform.issuer,
                          issuer=platform.client_id, options={"require": ["exp", "iat", "nonce"]})
    item = claims[DL_CLAIM + "content_items"][0]
    assert item["custom"] == {"audience": "parents", "view": "events"}


@pytest.mark.parametrize(("view", "landing"), [("help", "/aide"), ("events", "/rendez-vous"),
                                               ("wizard", None)])
def test_the_created_link_launches_a_parent_into_its_view(
    app: Flask, client: FlaskClient, platform: FakePlatform, launcher: LaunchHelper, view: str,
    landing: str | None
) -> None:
    open_picker(launcher, client)
    _, token = posted_back(choose(client, views=view, topics=list(TOPICS)))
    item = verify(client, token, platform)[DL_CLAIM + "content_items"][0]
    if landing is None:  # the wizard: its page when installed, else the help panel
        landing = "/pas-a-pas" if "onboarding.start" in app.view_functions else "/aide"
    # The platform creates the link with the item's custom parameters; a parent opens it.
    parent = https_client(app)
    response = launcher.launch(parent, "parent", custom=item["custom"], context=CLASS_A,
                               resource_link={"id": "link-from-picker", "title": item["title"]})
    assert response.status_code == 303 and response.headers["Location"] == landing
    assert parent.get(landing).status_code == 200


def test_a_view_link_lands_there_after_a_cookieless_launch_too(
    app: Flask, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    """On a phone, in an iframe that keeps no cookie, the launch goes on in a new window (the
    handoff): the parent still lands on the link's view."""
    state, nonce, login = launcher.login(https_client(app), lti_storage_target="_parent")
    secret = re.search(r'"lti.put_data",\s*\{key: "[^"]*", value: "([^"]*)"\}',
                       login.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    frame = app.test_client(use_cookies=False)
    frame.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "relais.example.fr"})
    claims = platform.valid_claims(
        nonce=nonce, sub="parent-2", context=CLASS_A, custom={"audience": "parents",
                                                              "view": "events"},
        roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"])
    handoff = frame.post("/lti/launch", data={"id_token": platform.sign(claims), "state": state,
                                              "relais_storage_secret": secret})
    code = re.search(r'name="code" value="([^"]+)"',
                     handoff.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    window = https_client(app)
    opened = window.post("/lti/handoff", data={"code": code})
    assert opened.status_code == 303 and opened.headers["Location"] == "/rendez-vous"
    assert window.get("/rendez-vous").status_code == 200
    # The landing is used once: the next visit to the home is the home.
    assert window.get("/home").status_code == 200


def test_a_teacher_opening_a_parents_link_stays_on_the_teacher_home(
    client: FlaskClient, launcher: LaunchHelper
) -> None:
    response = launcher.launch(client, "teacher", custom={"audience": "parents", "view": "help"})
    assert response.headers["Location"] == "/home"


def test_several_items_when_the_platform_accepts_several(
    client: FlaskClient, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    open_picker(launcher, client, accept_multiple=True)
    body = text(client.get("/enseignant/contenu"))
    assert body.count('type="checkbox" id="field-views-') == 3
    _, token = posted_back(choose(client, views=["help", "wizard", "events"],
                                  topics=list(TOPICS)))
    items = verify(client, token, platform)[DL_CLAIM + "content_items"]
    assert [i["custom"]["view"] for i in items] == ["help", "wizard", "events"]
    assert all(i["type"] == "ltiResourceLink" and i["custom"]["audience"] == "parents"
               for i in items)


@pytest.mark.parametrize(
    ("form", "field"),
    [({"views": ["help", "events"], "topics": list(TOPICS)}, "views"),
     ({"topics": list(TOPICS)}, "views"),
     ({"views": "nope", "topics": list(TOPICS)}, "views"),
     ({"views": "help"}, "topics"),
     ({"views": "help", "topics": list(TOPICS), "languages": "xx"}, "languages")],
)
def test_a_wrong_choice_is_shown_again_and_nothing_is_sent(
    app: Flask, client: FlaskClient, launcher: LaunchHelper, form: dict[str, Any], field: str
) -> None:
    open_picker(launcher, client)
    response = choose(client, **form)
    page(response, 400)
    body = text(response)
    assert f'href="#field-{field}"' in body and f'id="field-{field}"' in body
    assert 'name="JWT"' not in body
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(DeepLinkRequest)) == 1


def test_without_ltiresourcelink_in_accept_types_a_clear_message(
    client: FlaskClient, platform: FakePlatform, launcher: LaunchHelper
) -> None:
    open_picker(launcher, client, accept_types=["file", "html"])
    response = client.get("/enseignant/contenu")
    parsed = page(response)
    assert parsed.body.get("data-notice") == "deep_linking_type_not_accepted"
    body = text(response)
    assert "Relais ne peut pas être ajouté ici" in body and "file, html" in body
    assert 'name="views"' not in body
    # Choosing anyway is refused; going back answers with no item and an error message.
    assert page(choose(client, views="help", topics=list(TOPICS)), 400).body.get(
        "data-error") == "deep_linking_type_not_accepted"
    back = client.post("/enseignant/contenu/annuler", data={"csrf_token": csrf(client)})
    _, token = posted_back(back)
    claims = verify(client, token, platform)
    assert claims[DL_CLAIM + "content_items"] == []
    assert "ltiResourceLink" in claims[DL_CLAIM + "errormsg"]


def test_cancel_answers_with_nothing(client: FlaskClient, platform: FakePlatform,
                                     launcher: LaunchHelper) -> None:
    open_picker(launcher, client)
    back = client.post("/enseignant/contenu/annuler", data={"csrf_token": csrf(client)})
    claims = verify(client, posted_back(back)[1], platform)
    assert claims[DL_CLAIM + "content_items"] == []
    assert DL_CLAIM + "errormsg" not in claims


@pytest.mark.parametrize("persona", ["parent", "learner"])
def test_only_teachers_and_admins_may_add_content(
    app: Flask, client: FlaskClient, launcher: LaunchHelper, persona: str
) -> None:
    response = open_picker(launcher, client, persona=persona)
    assert page(response, 403).body.get("data-error") == "forbidden"
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(DeepLinkRequest)) == 0


def test_an_admin_may_add_content(client: FlaskClient, launcher: LaunchHelper) -> None:
    response = open_picker(launcher, client, persona="admin")
    assert response.headers["Location"] == "/enseignant/contenu"
    page(client.get("/enseignant/contenu"))


def test_the_picker_belongs_to_its_launch(app: Flask, client: FlaskClient,
                                          launcher: LaunchHelper) -> None:
    open_picker(launcher, client)
    # Another teacher's session without a request, and an expired request: a clear page.
    other = https_client(app)
    launcher.as_(other, "teacher")
    assert page(other.get("/enseignant/contenu"), 400).body.get("data-error") == \
        "deep_link_expired"
    with client.session_transaction() as s:
        request_id = s["deep_link"]
    with other.session_transaction() as s:
        s["deep_link"] = request_id  # the id alone is not enough: it is teacher-1's
        who = dict(s["who"])
        who["user_id"] = "teacher-2"
        s["who"] = who
    assert page(other.get("/enseignant/contenu"), 400).body.get("data-error") == \
        "deep_link_expired"
    with app.app_context(), db.transaction() as tx:
        row = tx.get(DeepLinkRequest, request_id)
        assert row is not None
        row.expires_at = time.time() - 1
    assert page(client.get("/enseignant/contenu"), 400).body.get("data-error") == \
        "deep_link_expired"


def test_expired_requests_are_purged(app: Flask, client: FlaskClient,
                                     launcher: LaunchHelper) -> None:
    open_picker(launcher, client)
    with app.app_context(), db.transaction() as tx:
        for row in tx.scalars(select(DeepLinkRequest)):
            row.expires_at = time.time() - 1
    open_picker(launcher, https_client(app))
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(DeepLinkRequest)) == 1


def test_a_long_platform_data_is_echoed_whole(client: FlaskClient, platform: FakePlatform,
                                              launcher: LaunchHelper) -> None:
    data = "x" * 6000  # longer than a cookie could carry
    open_picker(launcher, client, data=data)
    _, token = posted_back(choose(client, views="help", topics=list(TOPICS)))
    assert verify(client, token, platform)[DL_CLAIM + "data"] == data


def test_a_view_link_without_a_class_still_opens_its_view(
    client: FlaskClient, launcher: LaunchHelper
) -> None:
    from tests.lti.platform import DROP

    response = launcher.launch(client, "parent", context=DROP,
                               custom={"audience": "parents", "view": "help"})
    assert response.status_code == 303 and response.headers["Location"] == "/aide"


def test_an_unknown_view_lands_on_the_home(client: FlaskClient, launcher: LaunchHelper) -> None:
    response = launcher.launch(client, "parent", custom={"audience": "parents", "view": "admin"})
    assert response.headers["Location"] == "/home"
