"""Action helpers for service tests: register a platform, log in, launch as someone."""

from __future__ import annotations

import json
from collections import Counter
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lti.errors import PlatformUnreachable
from lti.http import HttpResponse
from tests.lti.platform import TOOL_BASE_URL, FakePlatform

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

PERSONAS: dict[str, dict[str, Any]] = {
    "parent": {
        "roles": [LIS + "membership#Mentor"],
        "role_scope_mentor": ["pupil-1"],
        "custom": {},
        "sub": "parent-1",
    },
    "teacher": {"roles": [LIS + "membership#Instructor"], "custom": {}, "sub": "teacher-1"},
    "admin": {
        "roles": [LIS + "membership#Instructor", LIS + "institution/person#Administrator"],
        "custom": {},
        "sub": "admin-1",
    },
    "learner": {"roles": [LIS + "membership#Learner"], "custom": {}, "sub": "pupil-1"},
}


class FakeHttp:
    """Serves platform key sets from memory and counts fetches; URLs can be made to fail."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.down: set[str] = set()
        self.fetches: Counter[str] = Counter()

    def get(self, url: str, *, timeout: float | None = None) -> HttpResponse:
        self.fetches[url] += 1
        if url in self.down or url not in self.documents:
            raise PlatformUnreachable(f"cannot reach {url}")
        body = json.dumps(self.documents[url]).encode()
        return HttpResponse(200, {"Content-Type": "application/json"}, body)

    def post_form(self, url: str, data: Any, *, timeout: float | None = None,
                  headers: Any = None) -> HttpResponse:
        raise PlatformUnreachable(url)

    def post_json(self, url: str, json: Any, *, timeout: float | None = None,
                  headers: Any = None) -> HttpResponse:
        raise PlatformUnreachable(url)


class LaunchHelper:
    def __init__(self, app: Flask, platform: FakePlatform | None = None) -> None:
        self.app = app
        self.platform = platform

    def register(self, fake: FakePlatform, *, adapter: str = "generic",
                 name: str | None = None) -> None:
        from service.platforms.registry import PlatformInput, register

        with self.app.app_context():
            register(
                PlatformInput(
                    name=name or fake.issuer,
                    issuer=fake.issuer,
                    client_id=fake.client_id,
                    auth_login_url=fake.auth_login_url,
                    auth_token_url=fake.auth_token_url,
                    jwks_url=fake.jwks_url,
                    deployment_ids=(fake.deployment_id,),
                    adapter=adapter,
                )
            )
        self.app.extensions["relais_http"].documents[fake.jwks_url] = fake.jwks()

    def login(self, client: FlaskClient, fake: FakePlatform | None = None,
              **params: str) -> tuple[str, str, TestResponse]:
        """The OIDC login step; returns (state, nonce, response)."""
        fake = fake or self.platform
        assert fake is not None
        query = {
            "iss": fake.issuer,
            "login_hint": "user-42",
            "target_link_uri": TOOL_BASE_URL + "/home",
            "client_id": fake.client_id,
            "lti_deployment_id": fake.deployment_id,
            **params,
        }
        response = client.get("/lti/login", query_string=query)
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
        location = response.headers.get("Location", "")
        sent = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if not sent:  # the platform-storage page: the redirect URL is in the page
            body = response.get_data(as_text=True)
            marker = 'id="go" class="button" href="'
            start = body.index(marker) + len(marker)
            url = unescape(body[start:body.index('"', start)])
            sent = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return sent["state"], sent["nonce"], response

    def launch(self, client: FlaskClient, persona: str = "parent", *,
               fake: FakePlatform | None = None, follow: bool = False,
               **claims: Any) -> TestResponse:
        """Login, then POST a fresh id_token for ``persona`` with ``claims`` overrides."""
        fake = fake or self.platform
        assert fake is not None
        state, nonce, _ = self.login(client, fake)
        all_claims = fake.valid_claims(nonce=nonce, **{**PERSONAS[persona], **claims})
        return client.post(
            "/lti/launch",
            data={"id_token": fake.sign(all_claims), "state": state},
            follow_redirects=follow,
        )

    def as_(self, client: FlaskClient, persona: str, **claims: Any) -> TestResponse:
        """Launch and land on the audience's home page."""
        response = self.launch(client, persona, **claims)
        assert response.status_code == 303, response.get_data(as_text=True)[:800]
        return client.get(response.headers["Location"])
