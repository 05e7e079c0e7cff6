"""The session cookie: Flask's signed cookie, with plain JSON and one signer per app.

Flask's default serializer tags every value (tuples, bytes, datetimes, Markup) by walking the
whole structure in Python on each load and save, and builds a new signer, deriving its key,
on every request: together about a tenth of a launch's CPU. Relais keeps only strings,
numbers, lists and dicts in the session (a tuple comes back as a list), so plain JSON through
``orjson`` is enough.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class _PlainJson:
    @staticmethod
    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

    @staticmethod
    def loads(value: str | bytes) -> Any:
        return orjson.loads(value)


class CookieSessions(SecureCookieSessionInterface):
    # Its own salt: a cookie written in Flask's tagged format is simply not read (the person
    # launches again) rather than read wrongly.
    salt = "relais-session"
    serializer = _PlainJson()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        cached = app.extensions.get("relais_session_signer")
        if cached is None or cached[0] != app.secret_key:
            cached = (app.secret_key, super().get_signing_serializer(app))
            app.extensions["relais_session_signer"] = cached
        return cached[1]


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
