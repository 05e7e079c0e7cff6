"""Rate limits for the pages anyone can reach: public forms, code lookups, the API.

Built on ``limits`` (the library flask-limiter wraps) and checked only by the views that name a
limit: flask-limiter's own hooks ran on every request, limited or not, for about 40 µs each.
Fixed windows, as before. Counters live in ``RATELIMIT_STORAGE_URI``: memory for one instance,
a Redis URL when several instances share the load; while that storage cannot be reached, each
process counts on its own rather than letting everything through or failing every page.

Limits are keyed by the client address; behind a reverse proxy, the operator must make
``request.remote_addr`` the real client (werkzeug's ``ProxyFix``). A breach is a 429, shown as
the human ``too_many_requests`` page by ``service.errors`` (JSON under ``/api``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def remote_address() -> str:
    return request.remote_addr or "127.0.0.1"


class _Counters:
    """The app's counters, with a per-process stand-in while the shared storage is down."""

    def __init__(self, uri: str) -> None:
        self.shared = FixedWindowRateLimiter(storage_from_string(uri))
        self.local = FixedWindowRateLimiter(MemoryStorage())

    def _run(self, action: str, item: RateLimitItem, *identifiers: str) -> bool:
        try:
            return bool(getattr(self.shared, action)(item, *identifiers))
        except Exception:  # noqa: BLE001 (any storage failure: Redis down, timeout...)
            log.warning("rate-limit storage unreachable: counting in this process")
            return bool(getattr(self.local, action)(item, *identifiers))

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._run("hit", item, *identifiers)

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._run("test", item, *identifiers)


def _counters() -> _Counters:
    return current_app.extensions["relais_rate_limits"]  # type: ignore[no-any-return]


def limited(setting: str, *, key: Callable[[], str] = remote_address, scope: str | None = None,
            methods: Collection[str] | None = None,
            counts: Callable[[Response], bool] | None = None) -> Callable[[F], F]:
    """Limit a view to the app config's ``setting`` (e.g. ``"10/minute"``) per ``key()``.

    ``scope`` names a budget several views share (default: the view's own). Only ``methods``
    count when given. With ``counts``, a request is let through while the budget lasts and only
    a response for which ``counts(response)`` is true spends it (e.g. a form actually stored).
    """

    def decorate(view: F) -> F:
        name = scope or f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if methods is not None and request.method not in methods:
                return view(*args, **kwargs)
            item = parse(str(current_app.config[setting]))
            identifiers = (name, key())
            counters = _counters()
            if counts is None:
                if not counters.hit(item, *identifiers):
                    raise TooManyRequests()
                return view(*args, **kwargs)
            if not counters.test(item, *identifiers):
                raise TooManyRequests()
            response = current_app.make_response(view(*args, **kwargs))
            if counts(response):
                counters.hit(item, *identifiers)
            return response

        return wrapper  # type: ignore[return-value]

    return decorate


def init_app(app: Flask) -> None:
    app.extensions["relais_rate_limits"] = _Counters(str(app.config["RATELIMIT_STORAGE_URI"]))
