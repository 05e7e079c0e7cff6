"""Key rotations while launches run: the platform's (a new kid signs) and the tool's own
(``relais keys rotate``). No launch fails, and a new platform kid costs one fetch, not one
per launch.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from service.launch.tool_keys import rotate_keys, tool_key_set
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_launch import install_key_clock, launch_with


def test_platform_rotation_in_the_middle_of_launches(app: Flask, launcher: LaunchHelper,
                                                     platform: FakePlatform):
    clock = install_key_clock(app)
    http = app.extensions["relais_http"]
    rotated = FakePlatform(kid="platform-key-2", key_name="platform-2")  # same platform
    statuses = []
    for i in range(20):
        if i == 10:
            # The platform publishes its new key next to the old one and signs with it.
            http.documents[platform.jwks_url] = {
                "keys": platform.jwks()["keys"] + rotated.jwks()["keys"]
            }
        signer = rotated if i >= 10 else platform
        statuses.append(launch_with(launcher, https_client(app), fake=signer).status_code)
        clock.advance(3)  # launches spread over a minute, within the cache's max-age
    assert statuses == [303] * 20
    assert http.fetches[platform.jwks_url] == 2  # the first launch, then once for the new kid
    # Tokens the old key signed just before the rotation still launch, from the cache.
    assert launch_with(launcher, https_client(app), fake=platform).status_code == 303
    assert http.fetches[platform.jwks_url] == 2


def test_a_new_platform_kid_is_fetched_once_by_concurrent_launches(
    app: Flask, launcher: LaunchHelper, platform: FakePlatform
):
    clock = install_key_clock(app)
    http = app.extensions["relais_http"]
    assert launch_with(launcher, https_client(app)).status_code == 303
    rotated = FakePlatform(kid="platform-key-2", key_name="platform-2")
    http.documents[platform.jwks_url] = {"keys": platform.jwks()["keys"] + rotated.jwks()["keys"]}
    clock.advance(30)
    barrier = threading.Barrier(6)

    def launch(_: int) -> int:
        client = https_client(app)
        barrier.wait()
        return launch_with(launcher, client, fake=rotated).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(launch, range(6)))
    assert statuses == [303] * 6
    assert http.fetches[platform.jwks_url] == 2


def _kids(document: dict[str, list[dict[str, str]]]) -> list[str]:
    return [key["kid"] for key in document["keys"]]


@pytest.fixture
def short_gil_turns() -> Iterator[None]:
    """Launches, key-set reads and rotations run here as threads of one interpreter. With the
    default 5 ms GIL switch interval they convoy: a thread that holds SQLite's write lock waits
    a full turn for the GIL after every SQLite call, so one rotation held the lock for seconds
    (measured: 12 s of wall time for 0.13 s of CPU) and a launch waiting on it hit SQLite's
    5 s busy timeout. Served by gunicorn's sync workers, each request has a process of its own
    and no such convoy; shorter turns keep this test about rotations, not about the GIL."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("short_gil_turns")
def test_tool_rotation_while_launches_run(app: Flask, runner, launcher: LaunchHelper):
    with app.app_context():
        first = tool_key_set()
    assert first.current is not None and first.next is not None
    signing = [first.current.kid]
    stop = threading.Event()
    launched: list[int] = []
    served: list[list[str]] = []

    def keep_launching() -> None:
        while not stop.is_set() or len(launched) < 3:
            launched.append(launcher.launch(https_client(app)).status_code)

    def keep_reading_jwks() -> None:
        client = https_client(app)
        while not stop.is_set():
            response = client.get("/lti/jwks")
            served.append(_kids(response.get_json()) if response.status_code == 200 else [])

    threads = [threading.Thread(target=keep_launching), threading.Thread(target=keep_reading_jwks)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            result = runner.invoke(args=["keys", "rotate"])
            assert result.exit_code == 0, result.output
            with app.app_context():
                signing.append(rotate_keys().signing_key().kid)  # and one more, in-process
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert launched and set(launched) == {303}
    assert all(len(kids) >= 2 for kids in served)
    assert len(set(signing)) == len(signing) == 3

    with app.app_context():
        keys = tool_key_set()
    assert keys.current is not None and keys.next is not None
    client = https_client(app)
    for url in ("/lti/jwks", "/.well-known/jwks.json"):
        response = client.get(url)
        assert response.status_code == 200
        document = response.get_json()
        kids = _kids(document)
        # next, then current, then every key retired within the overlap
        assert kids[0] == keys.next.kid
        assert kids[1] == keys.current.kid == signing[-1]
        assert set(signing) | {first.next.kid} <= set(kids)
        assert len(kids) == len(set(kids))
        for key in document["keys"]:
            assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256"
            assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public parts only
        assert "max-age" in response.headers["Cache-Control"]
