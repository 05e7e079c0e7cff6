"""Where a full launch spends its server CPU, without gunicorn or sockets in the way.

``python -m benchmarks.profile_launch`` runs Relais in this process (its WSGI callable, a
temporary SQLite database, the platform's key set served from memory) through whole launches
and prints the CPU time of each request (login GET, launch POST, home GET) next to Flask's
hello world. ``python -m benchmarks.profile_launch launch`` (or ``login``, ``home``) also
prints a cProfile of that request, on CPU time, by cumulative time; add ``tottime`` to sort
by own time; ``PROFILE_ROUNDS=30`` for steadier figures. Not part of ``make bench``: it
explains its rows, it is not one of them.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from werkzeug.test import EnvironBuilder

from benchmarks._tokens import launch_claims, sign

BASE = "http://localhost:5000"
CALLS = 50
ROUNDS = int(os.environ.get("PROFILE_ROUNDS", "8"))  # more rounds: steadier minima
STEPS = ("login", "launch", "home")


class InProcess:
    """A browser driving Relais' WSGI app directly (cookies by hand, like the load generator)."""

    def __init__(self, workdir: Path) -> None:
        from benchmarks.http_launches import _prepare_database
        from service import create_app
        from tests.helpers import FakeHttp
        from tests.lti.platform import FakePlatform

        self.platform = FakePlatform()
        url = f"sqlite:///{workdir / 'relais.sqlite3'}"
        _prepare_database(url, self.platform.jwks_url, self.platform)
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BASE_URL": BASE})
        http = FakeHttp()
        http.documents[self.platform.jwks_url] = self.platform.jwks()
        self.app.extensions["relais_http"] = http
        self.login_query = {
            "iss": self.platform.issuer, "login_hint": "parent-1",
            "target_link_uri": f"{BASE}/home", "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
        }  # fmt: skip

    def call(self, app: Any, method: str, path: str, *, query: Mapping[str, str] | None = None,
             data: Mapping[str, str] | None = None,
             cookie: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        headers = {"Cookie": cookie} if cookie else {}
        environ = EnvironBuilder(path=path, method=method, query_string=query, data=data,
                                 headers=headers, base_url=BASE).get_environ()
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]],
                           exc_info: Any = None) -> None:
            answer.update(status=status, headers=response_headers)

        body = b"".join(app(environ, start_response))
        return answer["status"], answer["headers"], body

    @staticmethod
    def _cookie(headers: Iterable[tuple[str, str]], prefix: str) -> str:
        for name, value in headers:
            pair = value.split(";", 1)[0]
            if name.lower() == "set-cookie" and pair.startswith(prefix) and pair.split("=", 1)[1]:
                return pair
        raise AssertionError(f"no {prefix} cookie")

    def login(self) -> tuple[str, str, str]:
        status, headers, _ = self.call(self.app, "GET", "/lti/login", query=self.login_query)
        assert status.startswith("302"), status
        sent = parse_qs(urlsplit(dict(headers)["Location"]).query)
        return sent["state"][0], sent["nonce"][0], self._cookie(headers, "relais_state_")

    def token(self, nonce: str) -> str:
        p = self.platform
        claims = launch_claims(issuer=p.issuer, client_id=p.client_id,
                               deployment_id=p.deployment_id, nonce=nonce, now=int(time.time()),
                               target_link_uri=f"{BASE}/home")
        return sign(claims, p.key, p.kid)

    def launch(self, state: str, cookie: str, token: str) -> str:
        status, headers, body = self.call(self.app, "POST", "/lti/launch",
                                          data={"id_token": token, "state": state}, cookie=cookie)
        assert status.startswith("303"), (status, body[:300])
        return self._cookie(headers, "relais_session")

    def home(self, session: str) -> None:
        status, _, body = self.call(self.app, "GET", "/home", cookie=session)
        assert status.startswith("200") and b'data-audience="parent"' in body, status


def _cpu_each(calls: Iterable[Callable[[], Any]], profiler: cProfile.Profile | None) -> float:
    """CPU µs per call (under the profiler, if any)."""
    calls = list(calls)
    started = time.process_time()
    if profiler:
        profiler.enable()
    for call in calls:
        call()
    if profiler:
        profiler.disable()
    return (time.process_time() - started) / len(calls) * 1e6


def _round(browser: InProcess, hello_app: Any,
           profilers: Mapping[str, cProfile.Profile | None]) -> dict[str, float]:
    """CPU µs per request of each step, over ``CALLS`` whole launches."""
    logins: list[tuple[str, str, str]] = []
    login_us = _cpu_each((lambda: logins.append(browser.login())
                          for _ in range(CALLS)), profilers["login"])
    tokens = [browser.token(nonce) for _, nonce, _ in logins]
    sessions: list[str] = []
    launch_us = _cpu_each(
        (lambda s=s, c=c, t=t: sessions.append(browser.launch(s, c, t))
         for (s, _, c), t in zip(logins, tokens, strict=True)), profilers["launch"])
    home_us = _cpu_each((lambda s=s: browser.home(s) for s in sessions), profilers["home"])
    hello_us = _cpu_each((lambda: browser.call(hello_app, "GET", "/")
                          for _ in range(CALLS)), None)
    return {"login": login_us, "launch": launch_us, "home": home_us, "hello": hello_us}


def main(argv: list[str]) -> None:
    step = next((a for a in argv if a in STEPS), None)
    sort = "tottime" if "tottime" in argv else "cumulative"
    from benchmarks.hello import app as hello_app

    workdir = Path(tempfile.mkdtemp(prefix="relais-profile-"))
    try:
        browser = InProcess(workdir)
        for _ in range(30):  # warm up: templates compiled, key set fetched, caches filled
            state, nonce, cookie = browser.login()
            browser.home(browser.launch(state, cookie, browser.token(nonce)))
        profilers = {name: cProfile.Profile(time.process_time) if name == step else None
                     for name in STEPS}
        # Rounds, keeping each step's fastest round: this machine is shared and its speed
        # drifts; the fastest round is the one least disturbed.
        best: dict[str, float] = {}
        for _ in range(ROUNDS):
            for name, us in _round(browser, hello_app, profilers).items():
                best[name] = min(best.get(name, us), us)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    label = " (under cProfile)" if step else ""
    print(f"CPU per request, in process, fastest of {ROUNDS} rounds of {CALLS} calls "
          "(WSGI environ building included):")
    for name, title in (("login", "login GET"), ("launch", "launch POST"),
                        ("home", "home GET"), ("hello", "hello world")):
        print(f"  {title:<11} {best[name]:7.0f} µs  {best[name] / best['hello']:5.1f}x hello"
              f"{label if step == name else ''}")
    if step:
        profiler = profilers[step]
        assert profiler is not None
        pstats.Stats(profiler).sort_stats(sort).print_stats(40)


if __name__ == "__main__":
    main(sys.argv[1:])
