"""The session cookie: Flask's signed cookie, with plain JSON and one signer per app.

Flask's default serializer tags every value (tuples, bytes, datetimes, Markup) by walking the
whole structure in Python on each load and save, compresses the payload when that is shorter,
and builds a new signer on every request: together about a tenth of a launch's CPU. Relais
keeps only strings, numbers, lists and dicts in the session (a tuple comes back as a list), so
plain JSON is enough (``service.signing``).
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from service.signing import OrJson, Signed


class CookieSessions(SecureCookieSessionInterface):
    # Its own salt: a cookie written in Flask's tagged format is simply not read (the person
    # launches again) rather than read wrongly.
    salt = "relais-session"
    serializer = OrJson()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]
        cached = app.extensions.get("relais_session_signer")
        if cached is None or cached[0] != keys:
            signer = Signed(keys, salt=self.salt, serializer=self.serializer,  # type: ignore[arg-type]
                            signer_kwargs={"key_derivation": self.key_derivation,
                                           "digest_method": self.digest_method})
            cached = (keys, signer)
            app.extensions["relais_session_signer"] = cached
        return cached[1]


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
