"""Security headers in one place, for every response including error pages.

The CSP carries a per-request nonce for the few inline scripts, and ``frame-ancestors`` lists
the registered platforms' origins: Relais lives in their iframes and nowhere else. No
``X-Frame-Options``: it cannot list several origins and would break the embedding.
"""

from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from service import db

log = logging.getLogger(__name__)

_ORIGINS_TTL = 30.0
_ORIGINS_RETRY = 5.0  # while the database is unreachable


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce  # type: ignore[no-any-return]


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def platform_origins() -> tuple[str, ...]:
    """The registered platforms' origins, re-read at most every 30 s (not on every request).

    Never raises: this runs for every response, error pages included, and a failure here
    would turn any page into a 500 without a single security header. While the database
    cannot be read, the origins last read are kept (none at first: only 'self' may frame).
    """
    cache = current_app.extensions.setdefault("relais_origins", {"at": 0.0, "origins": ()})
    if time.monotonic() - cache["at"] > _ORIGINS_TTL:
        from service.platforms.models import Platform

        try:
            # A connection of its own: the request's session may be in a failed transaction.
            with db.engine().connect() as connection:
                urls = connection.execute(select(Platform.issuer, Platform.auth_login_url)).all()
        except SQLAlchemyError:
            log.warning("cannot read the platforms' origins; keeping the last ones")
            cache["at"] = time.monotonic() - _ORIGINS_TTL + _ORIGINS_RETRY
            return cache["origins"]  # type: ignore[no-any-return]
        origins = {o for row in urls for o in map(origin_of, row) if o}
        if current_app.config.get("SANDBOX"):
            origins.add(str(current_app.config["SANDBOX_URL"]).rstrip("/"))
        cache["origins"] = tuple(sorted(origins))
        cache["at"] = time.monotonic()
    return cache["origins"]  # type: ignore[no-any-return]


def forget_platform_origins() -> None:
    current_app.extensions.pop("relais_origins", None)


def _headers(response: Response) -> Response:
    # The same origins may receive our forms (deep-linking responses go back to the platform).
    ancestors = " ".join(("'self'", *platform_origins()))
    # A page may let one more origin frame it: the registration page, which a platform that
    # is not registered yet opens in its own iframe.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; "
        f"script-src 'nonce-{csp_nonce()}'; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"form-action {ancestors}; base-uri 'none'; "
        f"frame-ancestors {' '.join((ancestors, *g.get('frame_ancestors', ())))}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "unsafe-none"
    if current_app.config["BASE_URL"].startswith("https://"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
