"""The platform key cache: max-age, one rate-limited refetch, stale keys while down."""

from __future__ import annotations

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lti.errors import LtiError
from lti.http import HttpResponse
from lti.platform_keys import PlatformKeyCache, parse_jwks
from tests.lti.fakes import FakeClock, FakeHttpClient
from tests.lti.platform import FakePlatform, b64url, rsa_key

URL = "https://moodle.example.org/mod/lti/certs.php"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000_000.0)


@pytest.fixture
def http(platform: FakePlatform) -> FakeHttpClient:
    client = FakeHttpClient()
    client.serve_json(URL, platform.jwks(), headers={"cache-control": "public, max-age=600"})
    return client


def cache(http: FakeHttpClient, clock: FakeClock, **kwargs: float) -> PlatformKeyCache:
    return PlatformKeyCache(http, clock, **kwargs)


def code_of(keys: PlatformKeyCache, kid: str) -> str:
    with pytest.raises(LtiError) as info:
        keys.public_key(URL, kid)
    return info.value.code


def test_key_is_fetched_once_and_parsed_once(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock)
    first = keys.public_key(URL, platform.kid)
    assert isinstance(first, rsa.RSAPublicKey)
    assert keys.public_key(URL, platform.kid) is first
    assert http.fetches == keys.fetch_count == 1


def test_cache_control_max_age_is_honoured(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock)
    keys.public_key(URL, platform.kid)
    clock.advance(599)
    keys.public_key(URL, platform.kid)
    assert http.fetches == 1
    clock.advance(2)
    same = keys.public_key(URL, platform.kid)
    assert http.fetches == 2
    assert keys.public_key(URL, platform.kid) is same  # unchanged key: object kept


@pytest.mark.parametrize(
    ("cache_control", "fresh_for"),
    [
        ("max-age=5", 60),  # clamped up to min_max_age
        ("max-age=999999", 86400),  # clamped down to max_max_age
        ("no-store", 60),
        ("", 300),  # default
        ("private, MAX-AGE=120", 120),
    ],
)
def test_max_age_is_clamped(
    clock: FakeClock, platform: FakePlatform, cache_control: str, fresh_for: int
) -> None:
    http = FakeHttpClient()
    http.serve_json(URL, platform.jwks(), headers={"Cache-Control": cache_control})
    keys = cache(http, clock)
    keys.public_key(URL, platform.kid)
    clock.advance(fresh_for - 1)
    keys.public_key(URL, platform.kid)
    assert http.fetches == 1
    clock.advance(2)
    keys.public_key(URL, platform.kid)
    assert http.fetches == 2


def test_unknown_kid_refetches_once(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock)
    keys.public_key(URL, platform.kid)
    clock.advance(11)
    assert code_of(keys, "rotated-key") == "jwt_kid_unknown"
    assert http.fetches == 2
    assert code_of(keys, "rotated-key") == "jwt_kid_unknown"
    assert http.fetches == 2  # rate limited


def test_refetch_finds_a_rotated_key(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock)
    keys.public_key(URL, platform.kid)
    rotated = FakePlatform(kid="platform-key-2", key_name="rotated")
    http.serve_json(URL, {"keys": platform.jwks()["keys"] + rotated.jwks()["keys"]})
    clock.advance(11)
    assert isinstance(keys.public_key(URL, "platform-key-2"), rsa.RSAPublicKey)


def test_refetch_is_rate_limited(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock, min_refetch_interval=10.0)
    keys.public_key(URL, platform.kid)
    clock.advance(1)
    assert code_of(keys, "forged") == "jwt_kid_unknown"
    assert http.fetches == 2  # a kid never seen: one refetch, it may be a fresh rotation
    for _ in range(5):
        assert code_of(keys, "forged") == "jwt_kid_unknown"
        clock.advance(1)
    assert http.fetches == 2  # the same kid, still missing: it waits the full 10 s
    clock.advance(10)
    code_of(keys, "forged")
    assert http.fetches == 3


def test_a_flood_of_new_kids_costs_at_most_one_fetch_a_second(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock, min_refetch_interval=10.0)
    keys.public_key(URL, platform.kid)
    for second in range(3):
        clock.advance(1)
        for n in range(50):
            code_of(keys, f"forged-{second}-{n}")
    assert http.fetches == 1 + 3


def test_a_rotation_just_after_a_fetch_loses_no_launch(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock, min_refetch_interval=10.0)
    keys.public_key(URL, platform.kid)
    rotated = FakePlatform(kid="platform-key-2", key_name="rotated")
    http.serve_json(URL, {"keys": platform.jwks()["keys"] + rotated.jwks()["keys"]})
    clock.advance(1)  # well inside the 10 s interval
    assert isinstance(keys.public_key(URL, "platform-key-2"), rsa.RSAPublicKey)


def test_twenty_concurrent_launches_with_an_unknown_kid_fetch_once(
    clock: FakeClock, platform: FakePlatform
) -> None:
    http = FakeHttpClient(delay=0.05)
    http.serve_json(URL, platform.jwks())
    keys = cache(http, clock)
    keys.public_key(URL, platform.kid)
    clock.advance(11)
    codes: list[str] = []
    start = threading.Barrier(20)

    def launch() -> None:
        start.wait()
        try:
            keys.public_key(URL, "unknown")
        except LtiError as exc:
            codes.append(exc.code)

    threads = [threading.Thread(target=launch) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == ["jwt_kid_unknown"] * 20
    assert http.fetches == 2


def test_first_fetch_under_concurrency_happens_once(
    clock: FakeClock, platform: FakePlatform
) -> None:
    http = FakeHttpClient(delay=0.05)
    http.serve_json(URL, platform.jwks())
    keys = cache(http, clock)
    start = threading.Barrier(20)
    found: list[object] = []

    def launch() -> None:
        start.wait()
        found.append(keys.public_key(URL, platform.kid))

    threads = [threading.Thread(target=launch) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 20 and http.fetches == 1


def test_stale_keys_are_served_while_the_platform_is_down(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock)
    key = keys.public_key(URL, platform.kid)
    http.fail(URL)
    clock.advance(10_000)
    assert keys.public_key(URL, platform.kid) is key
    assert http.fetches == 2
    assert keys.public_key(URL, platform.kid) is key
    assert http.fetches == 2  # a down platform is not hammered


@pytest.mark.parametrize(
    "answer",
    [
        HttpResponse(500, {}, b"oops"),
        HttpResponse(200, {}, b"<html>"),
        HttpResponse(200, {}, b'{"no": "keys"}'),
    ],
)
def test_stale_keys_are_served_when_the_platform_answers_garbage(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform, answer: HttpResponse
) -> None:
    keys = cache(http, clock)
    key = keys.public_key(URL, platform.kid)
    http.routes[URL] = answer
    clock.advance(10_000)
    assert keys.public_key(URL, platform.kid) is key


def test_keys_unavailable_when_nothing_to_serve(clock: FakeClock) -> None:
    http = FakeHttpClient()
    http.fail(URL)
    keys = cache(http, clock)
    assert code_of(keys, "any") == "platform_keys_unavailable"
    assert code_of(keys, "any") == "platform_keys_unavailable"
    assert http.fetches == 1


def test_unknown_kid_while_down(
    http: FakeHttpClient, clock: FakeClock, platform: FakePlatform
) -> None:
    keys = cache(http, clock)
    keys.public_key(URL, platform.kid)
    http.fail(URL)
    clock.advance(11)
    assert code_of(keys, "new-kid") == "platform_keys_unavailable"


def test_unusable_jwks_are_skipped(platform: FakePlatform) -> None:
    good = platform.jwks()["keys"][0]
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    document = {
        "keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
            {"kty": "RSA", "kid": "bad-n", "n": "!!!", "e": "AQAB"},
            {**good, "kid": "enc", "use": "enc"},
            {**good, "kid": "rs512", "alg": "RS512"},
            {**good, "kid": "short", "n": b64url(small.public_numbers().n.to_bytes(128, "big"))},
            {**good, "kid": 7},
            "not an object",
            good,
        ]
    }
    assert list(parse_jwks(document)) == [platform.kid]


@pytest.mark.parametrize("document", [None, [], {"keys": "x"}, "keys"])
def test_parse_jwks_refuses_non_jwks(document: object) -> None:
    with pytest.raises(ValueError):
        parse_jwks(document)


def test_keys_of_two_platforms_are_kept_apart(clock: FakeClock, platform: FakePlatform) -> None:
    other = FakePlatform(issuer="https://ent.example.fr", key_name="ent")
    http = FakeHttpClient()
    http.serve_json(URL, platform.jwks())
    http.serve_json(other.jwks_url, {"keys": [{**other.jwks()["keys"][0], "kid": platform.kid}]})
    keys = cache(http, clock)
    assert keys.public_key(URL, platform.kid).public_numbers() == (
        rsa_key("platform").public_key().public_numbers()
    )
    assert keys.public_key(other.jwks_url, platform.kid).public_numbers() == (
        rsa_key("ent").public_key().public_numbers()
    )
