"""Service tokens: OAuth 2 ``client_credentials`` with a JWT client assertion (LTI Security
Framework 4.1, RFC 7523), to call a platform's services such as NRPS.

The tool proves who it is with a short JWT signed by its current key (``iss`` = ``sub`` = its
client id, ``aud`` = the platform's token endpoint, a fresh ``jti``), posted form-encoded: Moodle
reads ``$_POST`` and rejects JSON. The platform may grant fewer scopes than asked (Moodle grants
the intersection with what the tool was allowed): the granted set is read from the answer and a
call needing a scope the token lacks raises ``ScopeNotGranted``, without asking again before the
token expires. Tokens are kept in memory and reused until ``expires_in`` (less a small margin for
the time the call takes); two concurrent requests for the same token fetch it once.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lti.errors import PlatformUnreachable, ScopeNotGranted, ServiceTokenRefused
from lti.http import DEFAULT_TIMEOUT, HttpClient
from lti.keys import ToolKeySet, sign_jwt
from lti.registration import Clock, PlatformRegistration

__all__ = [
    "ASSERTION_LIFETIME",
    "CLIENT_ASSERTION_TYPE",
    "SCOPE_NRPS",
    "AccessToken",
    "ServiceTokens",
    "client_assertion",
    "request_token",
]

SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds: it is posted at once
# When a platform does not say how long its token lives, assume little (RFC 6749 leaves it
# open); a platform that says more than a day is capped, so a key rotation is never outlived.
_DEFAULT_EXPIRES_IN = 300.0
_MAX_EXPIRES_IN = 24 * 3600.0
_MAX_TOKEN = 8192  # characters: a token longer than this is not a bearer token but garbage


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token, the scopes the platform granted with it, and when it stops being used."""

    value: str = field(repr=False)
    scopes: frozenset[str]
    expires_at: float

    def covers(self, scopes: Iterable[str]) -> bool:
        return set(scopes) <= self.scopes

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.value}"


def client_assertion(
    registration: PlatformRegistration, key_set: ToolKeySet, now: float
) -> str:
    """The signed JWT that authenticates the tool at ``registration.auth_token_url``.

    Raises ``keys.NoSigningKey`` when the tool has no current key.
    """
    issued = int(now)
    claims = {
        "iss": registration.client_id,
        "sub": registration.client_id,
        "aud": registration.auth_token_url,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
        "jti": secrets.token_urlsafe(24),
    }
    return sign_jwt(claims, key_set.signing_key())


def _granted(answer: dict[str, Any], asked: frozenset[str]) -> frozenset[str]:
    scope = answer.get("scope")
    if scope is None:
        return asked  # RFC 6749 5.1: omitted when identical to what was asked
    if not isinstance(scope, str):
        raise ServiceTokenRefused("the token answer has a scope that is not a string")
    return frozenset(scope.split())


def _lifetime(answer: dict[str, Any]) -> float:
    value = answer.get("expires_in")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # some platforms send it as a string
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _DEFAULT_EXPIRES_IN
    return max(0.0, min(float(value), _MAX_EXPIRES_IN))


def request_token(
    http: HttpClient,
    registration: PlatformRegistration,
    scopes: Iterable[str],
    *,
    key_set: ToolKeySet,
    clock: Clock,
    timeout: float = DEFAULT_TIMEOUT,
) -> AccessToken:
    """Ask the platform for a token for ``scopes`` (always fetches; see ``ServiceTokens``).

    Raises ``PlatformUnreachable`` (no answer, timeout, or a 5xx), ``ServiceTokenRefused``
    (a 4xx, or an answer without a bearer ``access_token``) and ``keys.NoSigningKey``.
    """
    asked = frozenset(scopes)
    now = clock.now()
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": client_assertion(registration, key_set, now),
        "scope": " ".join(sorted(asked)),
    }
    response = http.post_form(
        registration.auth_token_url,
        form,
        timeout=timeout,
        headers={"Accept": "application/json"},
    )
    if response.status >= 500:
        raise PlatformUnreachable(f"token endpoint answered {response.status}")
    if not response.ok:
        # The body may say why (invalid_client, invalid_scope...); keep only the code.
        reason = ""
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                reason = ": " + body["error"][:60]
        except ValueError:
            pass
        raise ServiceTokenRefused(f"token endpoint answered {response.status}{reason}")
    try:
        answer = response.json()
    except ValueError:
        raise ServiceTokenRefused("the token answer is not JSON") from None
    if not isinstance(answer, dict):
        raise ServiceTokenRefused("the token answer is not an object")
    token = answer.get("access_token")
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
        raise ServiceTokenRefused("the token answer has no access_token")
    if not isinstance(token_type := answer.get("token_type"), str) or (
        token_type.lower() != "bearer"
    ):
        raise ServiceTokenRefused("the token is not a bearer token")
    return AccessToken(token, _granted(answer, asked), now + _lifetime(answer))


class ServiceTokens:
    """A per-process cache of service tokens, keyed by registration and scopes asked.

    A token is reused while ``now < expires_at - margin``, the margin being the smaller of
    ``margin_seconds`` and a tenth of the token's life (so a short-lived token is still used).
    """

    def __init__(
        self,
        http: HttpClient,
        clock: Clock,
        *,
        margin_seconds: float = 10.0,
    ) -> None:
        self.http = http
        self.clock = clock
        self.margin_seconds = margin_seconds
        self._tokens: dict[tuple[str, str, str, frozenset[str]], tuple[float, AccessToken]] = {}
        self._lock = threading.Lock()
        self._fetching: dict[tuple[str, str, str, frozenset[str]], threading.Lock] = {}

    @staticmethod
    def _key(
        registration: PlatformRegistration, scopes: frozenset[str]
    ) -> tuple[str, str, str, frozenset[str]]:
        return (registration.issuer, registration.client_id, registration.auth_token_url, scopes)

    def _fresh(self, key: tuple[str, str, str, frozenset[str]]) -> AccessToken | None:
        found = self._tokens.get(key)
        if found is None:
            return None
        fetched_at, token = found
        margin = min(self.margin_seconds, (token.expires_at - fetched_at) / 10)
        return token if self.clock.now() < token.expires_at - margin else None

    def get(
        self,
        registration: PlatformRegistration,
        scopes: Iterable[str],
        *,
        key_set: ToolKeySet,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> AccessToken:
        """A token that covers ``scopes``, from the cache or fetched once.

        Raises ``ScopeNotGranted`` when the platform granted a token without one of
        ``scopes``, and whatever ``request_token`` raises.
        """
        asked = frozenset(scopes)
        key = self._key(registration, asked)
        with self._lock:
            token = self._fresh(key)
            fetching = self._fetching.setdefault(key, threading.Lock())
        if token is None:
            with fetching:  # single flight: the second caller finds the first one's token
                with self._lock:
                    token = self._fresh(key)
                if token is None:
                    now = self.clock.now()
                    token = request_token(
                        self.http, registration, asked, key_set=key_set, clock=self.clock,
                        timeout=timeout,
                    )
                    with self._lock:
                        self._tokens[key] = (now, token)
        if not token.covers(asked):
            missing = sorted(asked - token.scopes)
            raise ScopeNotGranted(f"the platform did not grant {missing[0][-60:]}")
        return token

    def forget(self, registration: PlatformRegistration, scopes: Iterable[str]) -> None:
        """Drop the cached token (the platform refused it before its expiry)."""
        with self._lock:
            self._tokens.pop(self._key(registration, frozenset(scopes)), None)
