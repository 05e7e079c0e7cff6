"""The HTTP client machinery of ``http_launches``, the same for Relais and for hello world.

Raw HTTP/1.1 over a new loopback TCP connection per request (gunicorn's sync workers close the
connection after each response anyway), read to EOF: a few tens of µs of client CPU per
request, so that on a 2-core machine the client steals as little as possible from the server.
Cookies are handled by hand: Relais sets ``Secure; Partitioned`` cookies, which a cookie jar
would not send back over http://localhost.

Each function runs in its own process (``multiprocessing``, spawn) and only ever connects to
127.0.0.1. Loops are bounded by a count and a time.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

_TIMEOUT = 10.0


def fetch(port: int, request: bytes) -> bytes:
    """The whole raw response to ``request`` (which must say ``Connection: close``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    try:
        return int(response[9:12])
    except ValueError:
        return 0


def headers_of(response: bytes, name: bytes) -> list[bytes]:
    """The values of header ``name`` (lower case)."""
    head = response.partition(b"\r\n\r\n")[0]
    found = []
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            found.append(value.strip())
    return found


def get(host: str, path: str, cookie: str | None = None) -> bytes:
    cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: relais-bench\r\n"
        f"Accept: text/html\r\n{cookie_line}Connection: close\r\n\r\n"
    ).encode("ascii")


def post_form(host: str, path: str, form: dict[str, str], cookie: str | None = None) -> bytes:
    body = urlencode(form).encode("ascii")
    cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: relais-bench\r\n"
        f"Accept: text/html\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n{cookie_line}Connection: close\r\n\r\n"
    ).encode("ascii") + body


def _cookie(response: bytes, prefix: bytes) -> str | None:
    """``name=value`` of the first non-empty cookie set whose name starts with ``prefix``."""
    for value in headers_of(response, b"set-cookie"):
        pair = value.split(b";", 1)[0]
        name, _, content = pair.partition(b"=")
        if name.startswith(prefix) and content and content != b'""':
            return pair.decode("latin-1")
    return None


class FlowError(Exception):
    pass


# --- hello world ------------------------------------------------------------------------------


def hello_client(*, port: int, warmup: int, seconds: float, max_count: int, barrier: Any,
                 results: Any) -> None:
    request = get(f"localhost:{port}", "/")
    for _ in range(warmup):
        fetch(port, request)
    barrier.wait()
    done = errors = 0
    started = time.monotonic()
    deadline = started + seconds
    while done < max_count and time.monotonic() < deadline:
        try:
            ok = status_of(fetch(port, request)) == 200
        except OSError:
            ok = False
        if ok:
            done += 1
        else:
            errors += 1
    results.put({"done": done, "errors": errors, "elapsed": time.monotonic() - started})


# --- a full launch ------------------------------------------------------------------------------


class Launcher:
    """A browser inside a platform's iframe: login GET, launch POST, home GET."""

    def __init__(self, port: int, platform: dict[str, Any]) -> None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        self.port = port
        self.host = f"localhost:{port}"
        self.platform = platform
        self.key = load_pem_private_key(platform["key_pem"], password=None)  # once per process
        self.target = f"http://{self.host}/home"
        query = urlencode({
            "iss": platform["issuer"], "login_hint": "parent-1", "target_link_uri": self.target,
            "client_id": platform["client_id"], "lti_deployment_id": platform["deployment_id"],
        })  # fmt: skip
        self.login_request = get(self.host, f"/lti/login?{query}")

    def login(self) -> tuple[str, str, str]:
        """``(state, nonce, state cookie)`` of one OIDC login."""
        response = fetch(self.port, self.login_request)
        if status_of(response) != 302:
            raise FlowError(f"login: HTTP {status_of(response)}: {response[:300]!r}")
        location = headers_of(response, b"location")[0].decode("latin-1")
        sent = parse_qs(urlsplit(location).query)
        cookie = _cookie(response, b"relais_state_")
        if cookie is None:
            raise FlowError("login: no state cookie")
        return sent["state"][0], sent["nonce"][0], cookie

    def sign(self, nonce: str) -> str:
        from benchmarks._tokens import launch_claims, sign

        claims = launch_claims(
            issuer=self.platform["issuer"], client_id=self.platform["client_id"],
            deployment_id=self.platform["deployment_id"], nonce=nonce, now=int(time.time()),
            target_link_uri=self.target,
        )  # fmt: skip
        return sign(claims, self.key, self.platform["kid"])

    def launch_and_home(self, state: str, state_cookie: str, id_token: str) -> None:
        response = fetch(self.port, post_form(
            self.host, "/lti/launch", {"id_token": id_token, "state": state}, state_cookie
        ))  # fmt: skip
        if status_of(response) != 303:
            raise FlowError(f"launch: HTTP {status_of(response)}: {response[-400:]!r}")
        session = _cookie(response, b"relais_session")
        if session is None:
            raise FlowError("launch: no session cookie")
        home = headers_of(response, b"location")[0].decode("latin-1")
        response = fetch(self.port, get(self.host, urlsplit(home).path, session))
        if status_of(response) != 200 or b'data-audience="parent"' not in response:
            raise FlowError(f"home: HTTP {status_of(response)}: {response[:300]!r}")


def launch_client(*, port: int, platform: dict[str, Any], warmup: int, login_seconds: float,
                  max_logins: int, barrier: Any, results: Any) -> None:
    """Warm up with whole launches, then two timed phases with untimed signing between them.

    Phase A logs in as many times as it can for ``login_seconds``; each login's id_token is
    then signed (0.8 ms of client CPU each, more than a request costs the client: it stays out
    of the timed part); phase B posts every launch and opens the home page. All clients (and
    the parent, which reads the server's CPU time there) start each phase together.
    """
    launcher = Launcher(port, platform)
    first_error = None
    errors = 0
    for _ in range(warmup):
        state, nonce, cookie = launcher.login()
        launcher.launch_and_home(state, cookie, launcher.sign(nonce))

    barrier.wait()
    started = time.monotonic()
    logins: list[tuple[str, str, str]] = []
    while len(logins) < max_logins and time.monotonic() - started < login_seconds:
        try:
            logins.append(launcher.login())
        except (FlowError, OSError) as exc:
            errors += 1
            first_error = first_error or repr(exc)
    login_elapsed = time.monotonic() - started
    tokens = [launcher.sign(nonce) for _, nonce, _ in logins]

    barrier.wait()
    started = time.monotonic()
    done = 0
    for (state, _, cookie), token in zip(logins, tokens, strict=True):
        try:
            launcher.launch_and_home(state, cookie, token)
            done += 1
        except (FlowError, OSError) as exc:
            errors += 1
            first_error = first_error or repr(exc)
    results.put({
        "logins": len(logins), "done": done, "errors": errors, "first_error": first_error,
        "login_elapsed": login_elapsed, "launch_elapsed": time.monotonic() - started,
    })  # fmt: skip
