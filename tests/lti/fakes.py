"""In-memory implementations of the Protocols ``lti`` reads through."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lti.errors import PlatformUnreachable
from lti.http import HttpResponse
from lti.registration import NonceOutcome, PlatformRegistration


class FakeClock:
    def __init__(self, now: float | None = None) -> None:
        self.value = time.time() if now is None else now

    def now(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


class InMemoryRegistrationStore:
    def __init__(self, *registrations: PlatformRegistration) -> None:
        self.registrations = list(registrations)

    def add(self, registration: PlatformRegistration) -> None:
        self.registrations.append(registration)

    def find(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        found = self.find_all(issuer)
        if client_id is None:
            return found[0] if len(found) == 1 else None
        return next((r for r in found if r.client_id == client_id), None)

    def find_all(self, issuer: str) -> Sequence[PlatformRegistration]:
        return [r for r in self.registrations if r.issuer == issuer]


class InMemoryNonceStore:
    """Thread-safe: of two concurrent consumes exactly one gets CONSUMED."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nonces: dict[tuple[str, str], tuple[float, bool]] = {}

    def issue(self, nonce: str, issuer: str, expires_at: float) -> None:
        with self._lock:
            self._nonces[(nonce, issuer)] = (expires_at, False)

    def consume(self, nonce: str, issuer: str, now: float) -> NonceOutcome:
        with self._lock:
            found = self._nonces.get((nonce, issuer))
            if found is None or found[0] <= now:
                return NonceOutcome.UNKNOWN
            if found[1]:
                return NonceOutcome.REPLAYED
            self._nonces[(nonce, issuer)] = (found[0], True)
            return NonceOutcome.CONSUMED


Route = HttpResponse | Exception | Callable[[], HttpResponse]


class FakeHttpClient:
    """Answers GETs from ``routes`` (url -> response, exception, or callable) and counts them.

    ``delay`` makes each GET slow, so that concurrent callers pile up behind a lock.
    """

    def __init__(self, routes: Mapping[str, Route] | None = None, *, delay: float = 0.0) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.delay = delay
        self.calls: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()

    @property
    def fetches(self) -> int:
        return sum(1 for method, _, _ in self.calls if method == "GET")

    def serve_json(
        self, url: str, document: Any, *, status: int = 200, headers: Mapping[str, str] = {}
    ) -> None:
        self.routes[url] = HttpResponse(status, dict(headers), json.dumps(document).encode())

    def fail(self, url: str) -> None:
        self.routes[url] = PlatformUnreachable("GET failed: ConnectionError")

    def _answer(self, method: str, url: str, body: Any) -> HttpResponse:
        with self._lock:
            self.calls.append((method, url, body))
        if self.delay:
            time.sleep(self.delay)
        route = self.routes.get(url)
        if route is None:
            return HttpResponse(404, {}, b"not found")
        if isinstance(route, Exception):
            raise route
        if callable(route):
            return route()
        return route

    def get(self, url: str, *, timeout: float = 5.0) -> HttpResponse:
        return self._answer("GET", url, None)

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        return self._answer("POST", url, dict(data))

    def post_json(
        self,
        url: str,
        json: Any,
        *,
        timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        return self._answer("POST", url, json)
