"""NRPS: the roster read whole through ``Link: rel="next"``, bounded, against a real stub
platform on 127.0.0.1; the token fetched once and reused; down and slow platforms."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from lti.errors import LtiError
from lti.http import HttpResponse, RequestsHttpClient
from lti.keys import ToolKeySet, rotate
from lti.nrps import MEDIA_TYPE, ROLE_LEARNER, Member, fetch_roster, next_link
from lti.service_token import ServiceTokens
from tests.lti.fakes import FakeClock
from tests.stub_platform import ROLE_INSTRUCTOR, StubPlatform, closed_port_url, learner, serve

PUPILS = [learner(n, given, family) for n, (given, family) in enumerate([
    ("Yanis", "Benali"), ("Inès", "Carvalho"), ("Emre", "Demir"), ("Lina", "Haddad"),
    ("Noah", "Martin"), ("Sara", "Ouali"), ("Tom", "Petit"),
], start=1)]
TEACHER = {"user_id": "teacher-1", "roles": [ROLE_INSTRUCTOR], "name": "Claire Martin"}


@pytest.fixture(scope="module")
def key_set() -> ToolKeySet:
    return ToolKeySet.from_records(rotate([], now=time.time()), time.time(), 3600)


@pytest.fixture
def stub(key_set: ToolKeySet) -> Iterator[StubPlatform]:
    with serve(StubPlatform(tool_jwks=key_set.jwks, members=[TEACHER, *PUPILS],
                            page_size=3)) as running:
        yield running


def read(stub: StubPlatform, key_set: ToolKeySet, tokens: ServiceTokens | None = None,
         url: str | None = None, **kwargs: Any) -> Any:
    assert stub.fake is not None
    http = RequestsHttpClient()
    return fetch_roster(
        url or stub.memberships_url,
        stub.fake.registration(auth_token_url=stub.token_url),
        http=http,
        tokens=tokens or ServiceTokens(http, FakeClock()),
        key_set=key_set,
        clock=kwargs.pop("clock", None) or FakeClock(),
        **kwargs,
    )


def test_every_page_is_read_and_the_token_reused(stub: StubPlatform, key_set: ToolKeySet) -> None:
    roster = read(stub, key_set)
    assert roster.complete and roster.pages == 3
    ids = [m.user_id for m in roster.members]
    assert ids == ["teacher-1"] + [f"pupil-{n}" for n in range(1, 8)]
    pupils = [m for m in roster.members if m.learner]
    assert len(pupils) == 7 and all(m.active for m in pupils)
    assert pupils[1] == Member("pupil-2", (ROLE_LEARNER,), "Active", "Inès Carvalho", "Inès",
                               "Carvalho")
    assert len(stub.token_requests()) == 1
    calls = stub.membership_requests()
    assert len(calls) == 3
    assert {c.headers["accept"] for c in calls} == {MEDIA_TYPE}
    assert len({c.headers["authorization"] for c in calls}) == 1


def test_a_second_read_reuses_the_cached_token(stub: StubPlatform, key_set: ToolKeySet) -> None:
    http = RequestsHttpClient()
    clock = FakeClock()
    tokens = ServiceTokens(http, clock)
    read(stub, key_set, tokens, clock=clock)
    clock.advance(1800)
    read(stub, key_set, tokens, clock=clock)
    assert len(stub.token_requests()) == 1
    clock.advance(1800)
    read(stub, key_set, tokens, clock=clock)
    assert len(stub.token_requests()) == 2


def test_relative_next_links_and_a_role_filter(stub: StubPlatform, key_set: ToolKeySet) -> None:
    stub.relative_links = True
    roster = read(stub, key_set, role=ROLE_LEARNER, page_size=4)
    assert roster.complete and len(roster.members) == 8 and roster.pages == 2
    first = stub.membership_requests()[0]
    assert first.query["role"] == [ROLE_LEARNER] and first.query["limit"] == ["4"]


def test_a_revoked_token_is_replaced_once(stub: StubPlatform, key_set: ToolKeySet) -> None:
    http = RequestsHttpClient()
    tokens = ServiceTokens(http, FakeClock())
    read(stub, key_set, tokens)
    stub.issued.clear()  # the platform forgot every token it gave
    roster = read(stub, key_set, tokens)
    assert roster.complete and len(roster.members) == 8
    assert len(stub.token_requests()) == 2


def test_bounds_stop_the_read_and_say_so(stub: StubPlatform, key_set: ToolKeySet) -> None:
    roster = read(stub, key_set, max_pages=2)
    assert not roster.complete and roster.pages == 2 and len(roster.members) == 6
    roster = read(stub, key_set, max_members=4)
    assert not roster.complete and len(roster.members) == 4
    roster = read(stub, key_set, max_members=8)
    assert roster.complete and len(roster.members) == 8


class _Pages:
    """Answers each GET from a list; Link headers chosen by the test."""

    def __init__(self, *answers: tuple[list[Any], str | None]) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []

    def get(self, url: str, *, timeout: float = 5.0, headers: Any = None) -> HttpResponse:
        self.urls.append(url)
        members, link = self.answers.pop(0)
        head = {"Link": link} if link else {}
        return HttpResponse(200, head, __import__("json").dumps({"members": members}).encode())


class _Tokens:
    def get(self, *args: Any, **kwargs: Any) -> Any:
        from lti.service_token import AccessToken

        return AccessToken("t", frozenset(), 1e12)

    def forget(self, *args: Any) -> None:
        pass


def _fetch(http: Any, url: str = "https://lms.example/m") -> Any:
    return fetch_roster(url, None, http=http, tokens=_Tokens(), key_set=None,  # type: ignore[arg-type]
                        clock=FakeClock())


def test_a_next_link_to_another_origin_or_a_loop_ends_the_read() -> None:
    foreign = _Pages(([PUPILS[0]], '<https://evil.example/m?page=2>; rel="next"'))
    roster = _fetch(foreign)
    assert not roster.complete and foreign.urls == ["https://lms.example/m"]
    loop = _Pages(([PUPILS[0]], '<https://lms.example/m>; rel="next"'))
    roster = _fetch(loop)
    assert not roster.complete and len(loop.urls) == 1


def test_members_without_an_id_are_skipped_and_fields_kept_short() -> None:
    odd = _Pages(([{"roles": [ROLE_LEARNER]}, "nope", {"user_id": "", "roles": []},
                   {"user_id": "p", "roles": "Learner", "name": "x" * 5000, "status": 3}], None))
    roster = _fetch(odd)
    assert [(m.user_id, m.roles, len(m.name), m.status) for m in roster.members] == [
        ("p", (), 512, "Active")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://a.example/m?p=2>; rel="next"', "https://a.example/m?p=2"),
        ('<https://a.example/m?p=1>; rel="first", <https://a.example/m?p=3>; rel=next',
         "https://a.example/m?p=3"),
        ('<https://a.example/d>; rel="differences", <?p=2>; rel="prev next"',
         "https://a.example/m?p=2"),
        ('<https://a.example/m?p=1>; rel="first"', None),
        ("garbage", None),
        ("", None),
    ],
)
def test_next_link(header: str, expected: str | None) -> None:
    assert next_link({"Link": header}, "https://a.example/m?p=1") == expected


@pytest.mark.parametrize("mode", ["token_down", "memberships_down", "memberships_slow",
                                  "token_slow", "closed"])
def test_down_or_slow_platforms_fail_fast_with_a_code(
    stub: StubPlatform, key_set: ToolKeySet, mode: str
) -> None:
    url = None
    if mode == "closed":
        url = closed_port_url() + "/memberships"
    else:
        endpoint, state = mode.split("_")
        setattr(stub, f"{endpoint}_mode", state)
        stub.delay = 2.0
    started = time.monotonic()
    with pytest.raises(LtiError) as info:
        # The memberships URL on a closed port: the token comes from the stub, the call fails.
        read(stub, key_set, url=url, timeout=0.4, budget=1.0, clock=_RealClock())
    assert info.value.code == "platform_unreachable"
    assert time.monotonic() - started < 1.5


def test_the_budget_bounds_the_whole_read(stub: StubPlatform, key_set: ToolKeySet) -> None:
    stub.memberships_mode, stub.delay = "slow", 0.3
    started = time.monotonic()
    with pytest.raises(LtiError) as info:
        read(stub, key_set, timeout=1.0, budget=0.7, clock=_RealClock())
    assert info.value.code == "platform_unreachable"
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [(401, b"{}", "memberships_refused"), (403, b"{}", "memberships_refused"),
     (404, b"", "memberships_refused"), (400, b"", "memberships_invalid"),
     (200, b"<html>", "memberships_invalid"), (200, b'{"members": {}}', "memberships_invalid"),
     (503, b"", "platform_unreachable")],
)
def test_odd_membership_answers_are_coded(status: int, body: bytes, code: str) -> None:
    class Answer:
        def get(self, url: str, *, timeout: float = 5.0, headers: Any = None) -> HttpResponse:
            return HttpResponse(status, {}, body)

    with pytest.raises(LtiError) as info:
        _fetch(Answer())
    assert info.value.code == code


def test_a_memberships_url_that_is_not_http_is_invalid() -> None:
    with pytest.raises(LtiError) as info:
        _fetch(_Pages(), url="file:///etc/passwd")
    assert info.value.code == "memberships_invalid"


def test_query_of_the_claim_url_is_kept(stub: StubPlatform, key_set: ToolKeySet) -> None:
    roster = read(stub, key_set, url=stub.memberships_url + "?rlid=7", page_size=3)
    assert roster.complete and len(roster.members) == 8
    assert [c.query["rlid"] for c in stub.membership_requests()] == [["7"]] * 3


class _RealClock:
    def now(self) -> float:
        return time.time()
