"""Rate limits (service.ratelimit): shared through Redis across instances, counted per process
while the shared storage is down, and never run for a view that names no limit."""

from __future__ import annotations

import secrets

import pytest
import redis
from flask import Flask

from service import create_app
from service.ratelimit import limited
from tests.lti.platform import TOOL_BASE_URL

REDIS = "redis://127.0.0.1:6379/0"


def _app(tmp_path: object, storage: str, scope: str = "probe") -> Flask:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "BASE_URL": TOOL_BASE_URL,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite3",
                      "RATELIMIT_STORAGE_URI": storage, "PROBE_LIMIT": "3/minute"})

    @app.get("/probe")
    @limited("PROBE_LIMIT", scope=scope)
    def probe() -> str:
        return "ok"

    @app.get("/counted")
    @limited("PROBE_LIMIT", counts=lambda response: response.status_code == 303)
    def counted() -> tuple[str, int]:
        return ("stored", 303) if app.config.get("STORE") else ("invalid", 400)

    return app


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_two_instances_share_one_budget_through_redis(tmp_path: object) -> None:
    scope = f"probe-{secrets.token_hex(4)}"  # this test's own budget in a shared Redis
    first, second = _app(tmp_path, REDIS, scope), _app(tmp_path, REDIS, scope)
    statuses = [app.test_client().get("/probe").status_code
                for app in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def test_a_storage_that_cannot_be_reached_counts_in_the_process(tmp_path: object) -> None:
    app = _app(tmp_path, "redis://127.0.0.1:1/0")  # nothing listens there
    client = app.test_client()
    assert [client.get("/probe").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_only_the_responses_that_count_spend_the_budget(tmp_path: object) -> None:
    app = _app(tmp_path, "memory://")
    client = app.test_client()
    assert [client.get("/counted").status_code for _ in range(5)] == [400] * 5
    app.config["STORE"] = True
    assert [client.get("/counted").status_code for _ in range(4)] == [303, 303, 303, 429]


def test_a_page_without_a_limit_runs_no_limiter_hook(tmp_path: object) -> None:
    app = _app(tmp_path, "memory://")
    assert not app.before_request_funcs.get(None, []) or all(
        "limit" not in f.__qualname__.lower() for f in app.before_request_funcs[None])
    assert all("limit" not in getattr(f, "__qualname__", repr(f)).lower()
               for f in (*app.after_request_funcs.get(None, []),
                         *app.teardown_request_funcs.get(None, [])))
