"""Service tokens: the client assertion, the exact form, granted scopes, reuse until expiry.

Against the stub platform served for real on 127.0.0.1 (``tests/stub_platform.py``), which
checks the assertion with joserfc and the tool's key set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from lti.errors import LtiError
from lti.http import HttpResponse, RequestsHttpClient
from lti.keys import ToolKeySet, rotate
from lti.service_token import (
    CLIENT_ASSERTION_TYPE,
    SCOPE_NRPS,
    ServiceTokens,
    client_assertion,
    request_token,
)
from tests.lti.fakes import FakeClock
from tests.stub_platform import StubPlatform, closed_port_url, serve

SCOPE_AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.fixture(scope="module")
def key_set() -> ToolKeySet:
    return ToolKeySet.from_records(rotate([], now=time.time()), time.time(), 3600)


@pytest.fixture
def stub(key_set: ToolKeySet) -> Iterator[StubPlatform]:
    with serve(StubPlatform(tool_jwks=key_set.jwks)) as running:
        yield running


def registration(stub: StubPlatform) -> Any:
    assert stub.fake is not None
    return stub.fake.registration(auth_token_url=stub.token_url)


def test_the_assertion_names_the_tool_and_the_token_endpoint(
    stub: StubPlatform, key_set: ToolKeySet
) -> None:
    now = time.time()
    token = client_assertion(registration(stub), key_set, now)
    claims = jwt.decode(token, KeySet.import_key_set(key_set.jwks())).claims
    assert claims["iss"] == claims["sub"] == stub.client_id
    assert claims["aud"] == stub.token_url
    assert claims["iat"] == int(now) and claims["exp"] == int(now) + 300
    assert len(claims["jti"]) >= 20
    assert claims["jti"] != jwt.decode(
        client_assertion(registration(stub), key_set, now), KeySet.import_key_set(key_set.jwks())
    ).claims["jti"]


def test_a_token_is_fetched_with_the_exact_form_and_the_granted_scopes(
    stub: StubPlatform, key_set: ToolKeySet
) -> None:
    token = request_token(RequestsHttpClient(), registration(stub), [SCOPE_NRPS, SCOPE_AGS],
                          key_set=key_set, clock=FakeClock())
    sent = stub.token_requests()[0]
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(sent.body.decode(), strict_parsing=True)
    assert sorted(form) == ["client_assertion", "client_assertion_type", "grant_type", "scope"]
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == [CLIENT_ASSERTION_TYPE]
    assert form["scope"][0].split() == sorted([SCOPE_NRPS, SCOPE_AGS])
    # The stub grants only NRPS (the intersection, as Moodle does).
    assert token.scopes == frozenset({SCOPE_NRPS})
    assert "value" not in repr(token) and token.value not in repr(token)


def test_the_token_is_fetched_once_and_reused_until_it_expires(
    stub: StubPlatform, key_set: ToolKeySet
) -> None:
    clock = FakeClock()
    tokens = ServiceTokens(RequestsHttpClient(), clock)
    first = tokens.get(registration(stub), [SCOPE_NRPS], key_set=key_set)
    for _ in range(5):
        clock.advance(600)  # 3000 s of the 3600 s
        assert tokens.get(registration(stub), [SCOPE_NRPS], key_set=key_set) == first
    assert len(stub.token_requests()) == 1
    clock.advance(600)  # 3600 s: expired
    second = tokens.get(registration(stub), [SCOPE_NRPS], key_set=key_set)
    assert second != first
    assert len(stub.token_requests()) == 2


def test_concurrent_callers_fetch_one_token(stub: StubPlatform, key_set: ToolKeySet) -> None:
    stub.token_mode, stub.delay = "slow", 0.3
    tokens = ServiceTokens(RequestsHttpClient(), FakeClock())
    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(
            tokens.get(registration(stub), [SCOPE_NRPS], key_set=key_set).value))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(got) == 4 and len(set(got)) == 1
    assert len(stub.token_requests()) == 1


def test_a_scope_not_granted_is_said_and_not_asked_again(
    stub: StubPlatform, key_set: ToolKeySet
) -> None:
    stub.allowed_scopes = frozenset({SCOPE_AGS})
    tokens = ServiceTokens(RequestsHttpClient(), FakeClock())
    for _ in range(3):
        with pytest.raises(LtiError) as info:
            tokens.get(registration(stub), [SCOPE_NRPS], key_set=key_set)
        assert info.value.code == "scope_not_granted"
    assert len(stub.token_requests()) == 1


def test_an_unknown_tool_key_is_refused(stub: StubPlatform) -> None:
    other = ToolKeySet.from_records(rotate([], now=1.0), 1.0, 3600)
    with pytest.raises(LtiError) as info:
        request_token(RequestsHttpClient(), registration(stub), [SCOPE_NRPS], key_set=other,
                      clock=FakeClock())
    assert info.value.code == "service_token_refused"
    assert "invalid_client" in info.value.description


@pytest.mark.parametrize("mode", ["down", "slow", "closed"])
def test_an_unreachable_or_slow_token_endpoint_is_platform_unreachable(
    stub: StubPlatform, key_set: ToolKeySet, mode: str
) -> None:
    reg = registration(stub)
    if mode == "closed":
        reg = stub.fake.registration(auth_token_url=closed_port_url() + "/token")  # type: ignore[union-attr]
    else:
        stub.token_mode, stub.delay = mode, 2.0
    started = time.monotonic()
    with pytest.raises(LtiError) as info:
        request_token(RequestsHttpClient(), reg, [SCOPE_NRPS], key_set=key_set,
                      clock=FakeClock(), timeout=0.5)
    assert info.value.code == "platform_unreachable"
    assert time.monotonic() - started < 1.5


class _Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def post_form(self, url: str, data: Any, *, timeout: float = 5.0,
                  headers: Any = None) -> HttpResponse:
        return HttpResponse(self.status, {"Content-Type": "application/json"}, self.body)


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, b'{"error": "invalid_scope"}', "service_token_refused"),
        (200, b"not json", "service_token_refused"),
        (200, b"[]", "service_token_refused"),
        (200, b'{"token_type": "Bearer"}', "service_token_refused"),
        (200, b'{"access_token": "x", "token_type": "mac"}', "service_token_refused"),
        (200, b'{"access_token": "x", "token_type": "Bearer", "scope": 3}',
         "service_token_refused"),
        (502, b"", "platform_unreachable"),
    ],
)
def test_odd_token_answers_are_coded(
    stub: StubPlatform, key_set: ToolKeySet, status: int, body: bytes, code: str
) -> None:
    with pytest.raises(LtiError) as info:
        request_token(_Answer(status, body), registration(stub), [SCOPE_NRPS],  # type: ignore[arg-type]
                      key_set=key_set, clock=FakeClock())
    assert info.value.code == code


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [(None, 300), ("120", 120), (-5, 0), (10**9, 86400), (True, 300), (60.5, 60.5)],
)
def test_expires_in_is_read_with_care(
    stub: StubPlatform, key_set: ToolKeySet, expires_in: Any, lifetime: float
) -> None:
    import json

    answer: dict[str, Any] = {"access_token": "t", "token_type": "bearer"}
    if expires_in is not None:
        answer["expires_in"] = expires_in
    clock = FakeClock(1000.0)
    token = request_token(_Answer(200, json.dumps(answer).encode()), registration(stub),  # type: ignore[arg-type]
                          [SCOPE_NRPS], key_set=key_set, clock=clock)
    assert token.expires_at == 1000.0 + lifetime
    assert token.scopes == frozenset({SCOPE_NRPS})  # no scope in the answer: as asked
