"""Rate limits (flask-limiter) for the pages anyone can reach: public forms, code lookups.

Counters live in ``RATELIMIT_STORAGE_URI``: memory for one instance, a Redis URL when several
instances share the load. Limits are keyed by the client address; behind a reverse proxy, the
operator must make ``request.remote_addr`` the real client (werkzeug's ``ProxyFix``).
A breach is a 429, shown as the human ``too_many_requests`` page by ``service.errors``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# One limiter for the process; each app binds its own storage in init_app. No default limit:
# each view names its own.
limiter = Limiter(key_func=get_remote_address)


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app's config at request time (e.g. ``"10/minute"``)."""
    return lambda: str(current_app.config[name])


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    # With no default or application limit, the limiter's before-request pass only resolves an
    # empty list for every request (~150 µs, a tenth of a launch's CPU). Each limited view's
    # decorator checks its own limits, so that pass is dropped.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
