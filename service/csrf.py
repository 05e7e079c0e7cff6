"""Cross-site request forgery protection for every form Relais serves.

The session cookie is ``SameSite=None`` (it must ride in the platform's iframe), so a POST from
any site would carry it: every state-changing form therefore carries a per-session token.
The LTI endpoints are exempt: the platform posts to them cross-site by design, and they are
protected by the OIDC state and the signed id_token instead.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session

from service.errors import ServiceError

EXEMPT_PREFIXES = ("/lti/", "/api/")


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return str(token)


def _check() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.path.startswith(EXEMPT_PREFIXES):
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise ServiceError("csrf_failed", 400)


def init_app(app: Flask) -> None:
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = csrf_token
