"""Outgoing HTTP, behind a Protocol so that ``lti`` is testable without a network.

``lti`` only ever needs three calls: GET a key set or a configuration, POST a form (service
tokens) and POST JSON (dynamic registration). :class:`RequestsHttpClient` is the production
implementation; tests pass a fake.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from lti.errors import PlatformUnreachable

DEFAULT_TIMEOUT = 5.0


class Headers(Mapping[str, str]):
    """A read-only mapping whose lookups ignore the case of the header name."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {
            k.lower(): (k, v) for k, v in (items or {}).items()
        }

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What ``lti`` keeps of an HTTP response. ``headers`` lookups ignore case."""

    status: int
    headers: Mapping[str, str] = field(default_factory=Headers)
    body: bytes = b""

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            object.__setattr__(self, "headers", Headers(self.headers))

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body decoded as JSON. Raises ``ValueError`` when it is not JSON."""
        return _json.loads(self.body)


class HttpClient(Protocol):
    """The HTTP calls ``lti`` makes. Implementations raise ``PlatformUnreachable`` when the
    platform cannot be reached; any HTTP status (even 5xx) is returned, not raised."""

    def get(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse: ...

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse: ...

    def post_json(
        self,
        url: str,
        json: Any,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse: ...


class RequestsHttpClient:
    """:class:`HttpClient` over one shared ``requests.Session``.

    One session per process keeps TCP/TLS connections to the platforms alive between launches
    (a key set refetch then costs one round trip, not a handshake). Every call has a timeout:
    a hanging platform must not hold a worker.
    """

    def __init__(
        self, session: requests.Session | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.session = session or requests.Session()
        self.timeout = timeout

    def get(
        self,
        url: str,
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """GET ``url`` (``headers``: e.g. a service token for NRPS). Raises
        ``PlatformUnreachable`` on connection errors and timeouts."""
        return self._send("GET", url, timeout=timeout, headers=headers)

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """POST ``data`` form-encoded. Raises ``PlatformUnreachable`` like :meth:`get`."""
        return self._send("POST", url, timeout=timeout, headers=headers, data=dict(data))

    def post_json(
        self,
        url: str,
        json: Any,
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """POST ``json`` as a JSON body. Raises ``PlatformUnreachable`` like :meth:`get`."""
        return self._send("POST", url, timeout=timeout, headers=headers, json=json)

    def _send(
        self,
        method: str,
        url: str,
        *,
        timeout: float | None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> HttpResponse:
        try:
            response = self.session.request(
                method,
                url,
                timeout=self.timeout if timeout is None else timeout,
                headers=dict(headers or {}),
                **kwargs,
            )
        except requests.RequestException as exc:
            # Only the class name: the message may echo a URL with a registration token.
            raise PlatformUnreachable(f"{method} failed: {type(exc).__name__}") from exc
        return HttpResponse(response.status_code, Headers(response.headers), response.content)
