"""Launch validation, µs per launch, on one freshly signed 3.9 KB RS256 id_token:

(a) the floor: ``cryptography`` verifying its RSA-2048 signature with an already-loaded key;
(b) ``lti.launch.validate`` with in-memory stores, the platform key already cached and a nonce
    store that accepts every nonce (so storage is not measured, validation is);
(c) pylti1p3 2.0.0 ``MessageLaunch.validate()`` on the same token: a ToolConfDict holding the
    platform's key set (no HTTP), fake request/session/cookie services; its state check passes
    through the cookie service, its nonce check through the session, as on every launch.

The three are timed in interleaved rounds (one short block of each per round) so that the load
other processes put on the machine falls on all three alike: each time is the median over the
rounds, each ratio the median of the per-round ratios (blocks a few ms apart, so paired).
``python -m benchmarks.launch_validation --profile`` prints where (b) spends its time.
"""

from __future__ import annotations

import base64
import secrets
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from benchmarks._table import Row, print_table, verdict
from benchmarks._tokens import launch_claims, sign
from lti.launch import validate
from lti.launch_data import LaunchData
from lti.platform_keys import PlatformKeyCache
from lti.registration import NonceOutcome
from lti.tool import ToolConfig
from tests.lti.fakes import FakeClock, FakeHttpClient, InMemoryRegistrationStore
from tests.lti.platform import FakePlatform

ROUNDS = 61
BLOCK_SECONDS = 0.015  # each timed block; 61 rounds x 3 blocks ~ 3 s in all
FLOOR_TARGET = 3.0  # validate within 3x the raw verify
PYLTI_TARGET = 5.0  # and at least 5x faster than pylti1p3

TOOL_BASE_URL = "https://relais.example.fr"


class AcceptingNonces:
    """A nonce store for which every nonce is fresh: validation is measured, not storage."""

    def issue(self, nonce: str, issuer: str, expires_at: float) -> None:
        return None

    def consume(self, nonce: str, issuer: str, now: float) -> NonceOutcome:
        return NonceOutcome.CONSUMED


class Setup:
    """One platform, one token, and the three ways to check it, ready to call."""

    def __init__(self) -> None:
        platform = FakePlatform()
        now = time.time()
        self.state = secrets.token_urlsafe(32)
        self.nonce = secrets.token_urlsafe(32)
        claims = launch_claims(
            issuer=platform.issuer, client_id=platform.client_id,
            deployment_id=platform.deployment_id, nonce=self.nonce, now=int(now),
            target_link_uri=TOOL_BASE_URL + "/lti/launch",
            lifetime=600,  # pylti1p3 checks exp against the real clock: outlive the run
        )  # fmt: skip
        self.token = sign(claims, platform.key, platform.kid)
        self.form = {"id_token": self.token, "state": self.state}
        self.platform = platform

        # (a) the floor
        header_b64, payload_b64, signature_b64 = self.token.split(".")
        self.signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
        self.signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
        self.public_key = platform.key.public_key()
        self.pkcs1, self.sha256 = padding.PKCS1v15(), hashes.SHA256()

        # (b) Relais
        http = FakeHttpClient()
        http.serve_json(platform.jwks_url, platform.jwks(),
                        headers={"Cache-Control": "max-age=3600"})
        self.clock = FakeClock(now)
        self.keys = PlatformKeyCache(http, self.clock)
        self.keys.public_key(platform.jwks_url, platform.kid)  # cached before timing
        self.registrations = InMemoryRegistrationStore(platform.registration())
        self.nonces = AcceptingNonces()
        self.tool = ToolConfig(
            base_url=TOOL_BASE_URL, launch_url=TOOL_BASE_URL + "/lti/launch",
            login_url=TOOL_BASE_URL + "/lti/login", jwks_url=TOOL_BASE_URL + "/lti/jwks",
        )  # fmt: skip

        # (c) pylti1p3
        self._pylti = _PyLti(platform, self.state, self.nonce)

    def floor(self) -> None:
        self.public_key.verify(self.signature, self.signing_input, self.pkcs1, self.sha256)

    def relais(self) -> LaunchData:
        return validate(
            self.form, browser_state=self.state, registrations=self.registrations,
            keys=self.keys, nonces=self.nonces, clock=self.clock, tool=self.tool,
        )  # fmt: skip

    def pylti1p3(self) -> Any:
        return self._pylti.validate(self.form)

    def check(self) -> None:
        """Each contender accepts the token (and rejects a tampered one) before any timing."""
        self.floor()
        data = self.relais()
        assert data.sub == "parent-1" and data.nonce == self.nonce, data
        launch = self.pylti1p3()
        assert launch.get_launch_data()["sub"] == "parent-1"
        head, body, sig = self.token.split(".")
        forged = {**self.form, "id_token": f"{head}.{body}.{sig[:-8]}AAAAAAAA"}
        for name, call in (("relais", self.relais), ("pylti1p3", self.pylti1p3)):
            saved, self.form = self.form, forged
            try:
                call()
            except Exception:
                pass
            else:
                raise AssertionError(f"{name} accepted a forged signature")
            finally:
                self.form = saved


class _PyLti:
    """pylti1p3 2.0.0 wired as a Flask tool wires it, with in-memory request, session and
    cookies. Its ToolConfDict carries the platform's key set (pylti1p3 takes a platform key
    only as a JWKS, ``key_set``; it converts the JWK to a PEM and PyJWT parses that PEM on
    every launch: that is its per-launch cost too in production). One ``requests.Session`` is
    shared (pylti1p3 would otherwise build one per launch), which only favours it."""

    def __init__(self, platform: Any, state: str, nonce: str) -> None:
        import requests
        from pylti1p3.cookie import CookieService
        from pylti1p3.message_launch import MessageLaunch
        from pylti1p3.request import Request
        from pylti1p3.session import SessionService
        from pylti1p3.tool_config import ToolConfDict

        self.tool_conf = ToolConfDict(
            {
                platform.issuer: [
                    {
                        "default": True,
                        "client_id": platform.client_id,
                        "auth_login_url": platform.auth_login_url,
                        "auth_token_url": platform.auth_token_url,
                        "key_set_url": None,
                        "key_set": platform.jwks(),
                        "deployment_ids": [platform.deployment_id],
                    }
                ]
            }
        )
        self.requests_session = requests.Session()
        self.nonce_key = f"lti1p3-nonce-{nonce}"
        cookies = {state: state}  # the browser sends back the state cookie set at login

        class BenchRequest(Request):
            def __init__(self, params: dict[str, str], session: dict[str, Any]) -> None:
                self._params, self._session = params, session

            @property
            def session(self) -> dict[str, Any]:
                return self._session

            def is_secure(self) -> bool:
                return True

            def get_param(self, key: str) -> str:
                return self._params.get(key, "")

        class BenchCookies(CookieService):
            def get_cookie(self, name: str) -> str | None:
                return cookies.get(name)

            def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
                return None

        class BenchLaunch(MessageLaunch):
            def _get_request_param(self, key: str) -> str:
                return self._request.get_param(key)  # type: ignore[no-any-return]

        self._request_cls, self._session_cls = BenchRequest, SessionService
        self._cookies, self._launch_cls = BenchCookies(), BenchLaunch

    def validate(self, form: dict[str, str]) -> Any:
        # Per launch, as in a Flask view: the request with its session (holding the nonce
        # saved at login), the session service, the launch object, then validate().
        request = self._request_cls(form, {self.nonce_key: True})
        launch = self._launch_cls(
            request, self.tool_conf, session_service=self._session_cls(request),
            cookie_service=self._cookies, requests_session=self.requests_session,
        )  # fmt: skip
        return launch.validate()


def _block_size(call: Callable[[], Any]) -> int:
    number, elapsed = 1, 0.0
    while elapsed < BLOCK_SECONDS / 4:
        number *= 2
        elapsed = timeit.Timer(call).timeit(number)
    return max(1, int(number * BLOCK_SECONDS / elapsed))


def measure(setup: Setup, rounds: int = ROUNDS) -> dict[str, list[float]]:
    """µs per call of each contender, one sample per interleaved round."""
    contenders = {"floor": setup.floor, "relais": setup.relais, "pylti1p3": setup.pylti1p3}
    timers = {name: (timeit.Timer(call), _block_size(call)) for name, call in contenders.items()}
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (timer, number) in timers.items():
            samples[name].append(timer.timeit(number) / number * 1e6)
    return samples


def _paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def run() -> list[Row]:
    setup = Setup()
    setup.check()
    us = measure(setup)
    floor, relais, pylti = (statistics.median(us[name]) for name in ("floor", "relais", "pylti1p3"))
    over_floor = _paired_ratio(us["relais"], us["floor"])
    pylti_over = _paired_ratio(us["pylti1p3"], us["relais"])
    size = f"{len(setup.token) / 1000:.1f} KB"
    return [
        Row(f"launch validation: raw RSA-2048 verify ({size} token)", floor, "µs", "floor, 1.00x"),
        Row(
            "launch validation: lti.launch.validate", relais, "µs",
            f"{over_floor:.2f}x the floor (target <= {FLOOR_TARGET:g}x): "
            f"{verdict(over_floor <= FLOOR_TARGET)}",
        ),
        Row(
            "launch validation: pylti1p3 2.0.0 validate", pylti, "µs",
            f"{pylti_over:.1f}x lti.launch.validate (target >= {PYLTI_TARGET:g}x): "
            f"{verdict(pylti_over >= PYLTI_TARGET)}",
        ),
    ]  # fmt: skip


def profile(calls: int = 20000) -> None:
    """Where ``lti.launch.validate`` spends its time (cProfile, by own time)."""
    import cProfile
    import pstats

    setup = Setup()
    setup.check()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        setup.relais()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    if "--profile" in sys.argv[1:]:
        profile()
    else:
        print_table(run())
