"""A nonce is consumed once, also by two service instances sharing one database.

Two apps built by ``make_app`` on the same database URL (SQLite file, or PostgreSQL with
``RELAIS_TEST_DATABASE_URL``) receive the very same launch POST at the same moment, from two
threads: exactly one launches, the other is told ``nonce_replayed``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import make_app
from tests.helpers import LaunchHelper
from tests.service.test_launch import claims_for, rejected


@pytest.fixture
def second_instance(app: Flask, database_url: str) -> Iterator[Flask]:
    """Another process's app on the same database (``app`` has built and emptied it)."""
    other = make_app(database_url, "")
    other.extensions["relais_http"] = app.extensions["relais_http"]  # the same platforms
    yield other
    other.extensions["relais_engine"].dispose()


def replayer(app: Flask) -> FlaskClient:
    """A client that sends exactly the headers it is given (the captured cookie)."""
    client = app.test_client(use_cookies=False)
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "relais.example.fr"})
    return client


def captured_launch(app: Flask, launcher: LaunchHelper) -> dict[str, object]:
    """A real login in a browser, and the launch POST it would make, cookie included."""
    browser = app.test_client()
    browser.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "relais.example.fr"})
    state, nonce, login = launcher.login(browser)
    cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("relais_state_"))
    platform = launcher.platform
    assert platform is not None
    return {
        "data": {"id_token": platform.sign(claims_for(platform, nonce)), "state": state},
        "headers": {"Cookie": cookie.split(";")[0]},
    }


def test_the_same_launch_at_two_instances_at_once_is_accepted_once(
    app: Flask, second_instance: Flask, launcher: LaunchHelper
):
    clients = (replayer(app), replayer(second_instance))
    for _ in range(5):  # several rounds: the race must be won exactly once every time
        request = captured_launch(app, launcher)
        barrier = threading.Barrier(2)

        def post(client: FlaskClient, request: dict[str, object] = request,
                 barrier: threading.Barrier = barrier) -> TestResponse:
            barrier.wait()
            return client.post("/lti/launch", **request)  # type: ignore[arg-type]

        with ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(post, clients))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [303, 401], [r.get_data(as_text=True)[:300] for r in responses]
        rejected(next(r for r in responses if r.status_code == 401), "nonce_replayed", 401)


def test_a_launch_used_at_one_instance_is_a_replay_at_the_other(
    app: Flask, second_instance: Flask, launcher: LaunchHelper
):
    request = captured_launch(app, launcher)
    assert replayer(second_instance).post("/lti/launch", **request).status_code == 303
    rejected(replayer(app).post("/lti/launch", **request), "nonce_replayed", 401)


def test_a_login_at_one_instance_launches_at_the_other(
    app: Flask, second_instance: Flask, launcher: LaunchHelper
):
    # Behind a load balancer without stickiness the two legs often reach different instances.
    request = captured_launch(app, launcher)
    response = replayer(second_instance).post("/lti/launch", **request)
    assert response.status_code == 303
