from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from lti.launch import validate
from lti.launch_data import LaunchData
from lti.platform_keys import PlatformKeyCache
from lti.tool import ToolConfig
from tests.lti.fakes import FakeClock, FakeHttpClient, InMemoryNonceStore, InMemoryRegistrationStore
from tests.lti.platform import TOOL_BASE_URL, TOOL_LAUNCH_URL, FakePlatform

TOOL = ToolConfig(
    base_url=TOOL_BASE_URL,
    launch_url=TOOL_LAUNCH_URL,
    login_url=TOOL_BASE_URL + "/lti/login",
    jwks_url=TOOL_BASE_URL + "/lti/jwks",
)


@dataclass
class Launcher:
    """Everything a launch needs, wired with fakes, and the action helpers tests use."""

    platform: FakePlatform
    clock: FakeClock
    http: FakeHttpClient
    registrations: InMemoryRegistrationStore
    nonces: InMemoryNonceStore
    keys: PlatformKeyCache
    tool: ToolConfig = TOOL
    state: str = "state-of-this-browser"

    def issue_nonce(self, nonce: str = "nonce-1", issuer: str | None = None) -> str:
        self.nonces.issue(nonce, issuer or self.platform.issuer, self.clock.now() + 600)
        return nonce

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Valid claims with a freshly issued nonce (unless ``nonce`` is overridden)."""
        if "nonce" not in overrides:
            overrides["nonce"] = self.issue_nonce()
        return self.platform.valid_claims(now=self.clock.now(), **overrides)

    def token(self, claims: Mapping[str, Any] | None = None, **header: Any) -> str:
        return self.platform.sign(self.claims() if claims is None else claims, **header)

    def validate_form(
        self, form: Mapping[str, Any], browser_state: str | None = "state-of-this-browser"
    ) -> LaunchData:
        return validate(
            form,
            browser_state=browser_state,
            registrations=self.registrations,
            keys=self.keys,
            nonces=self.nonces,
            clock=self.clock,
            tool=self.tool,
        )

    def launch(self, claims: Mapping[str, Any] | None = None, **header: Any) -> LaunchData:
        return self.validate_form({"state": self.state, "id_token": self.token(claims, **header)})


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def launcher(platform: FakePlatform) -> Launcher:
    clock = FakeClock()
    http = FakeHttpClient()
    http.serve_json(platform.jwks_url, platform.jwks())
    return Launcher(
        platform=platform,
        clock=clock,
        http=http,
        registrations=InMemoryRegistrationStore(platform.registration()),
        nonces=InMemoryNonceStore(),
        keys=PlatformKeyCache(http, clock),
    )
