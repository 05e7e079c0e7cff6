"""A stub LTI platform served for real on 127.0.0.1, in a thread, Moodle-like paths.

What it serves (``StubPlatform.url`` + path):

- ``/mod/lti/token.php``: ``client_credentials`` with a JWT client assertion. It insists on form
  encoding, checks the assertion with an independent library (joserfc) against the tool's key
  set, checks ``iss`` = ``sub`` = client id, ``aud`` = this URL, ``exp`` and a never-seen
  ``jti``, and grants the intersection of the scopes asked and ``allowed_scopes``.
- ``/mod/lti/services.php/CourseSection/<course>/bindings/1/memberships``: the class roster,
  ``page_size`` members a page, pages chained with ``Link: <...>; rel="next"``; it wants a live
  bearer token that carries the NRPS scope.
- ``/mod/lti/certs.php``: the platform's key set; ``/mod/lti/auth.php``: the OIDC
  authentication step (signs a launch for ``next_launch``'s persona and claims and auto-posts it
  to the tool); ``/course``: a page that frames the tool; ``/mod/lti/contentitem_return.php``:
  receives deep-linking responses, verified with joserfc against the tool's key set.

``token_mode`` and ``memberships_mode`` make either endpoint ``"down"`` (503), ``"slow"``
(answers after ``delay`` seconds) or ``"ok"``. Every request is recorded.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lti.nrps import MEDIA_TYPE
from lti.service_token import CLIENT_ASSERTION_TYPE, SCOPE_NRPS
from tests.lti.platform import FakePlatform

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
ROLE_LEARNER = LIS + "membership#Learner"
ROLE_INSTRUCTOR = LIS + "membership#Instructor"
NRPS_VERSIONS = ["2.0"]


def learner(n: int, given: str, family: str, **extra: Any) -> dict[str, Any]:
    """A roster entry for a pupil (``user_id`` ``pupil-<n>``)."""
    return {"user_id": f"pupil-{n}", "roles": [ROLE_LEARNER], "status": "Active",
            "name": f"{given} {family}", "given_name": given, "family_name": family,
            "email": f"pupil{n}@example.org", **extra}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class StubPlatform:
    tool_jwks: Callable[[], dict[str, Any]]
    client_id: str = "relais-client-1"
    deployment_id: str = "1"
    course: str = "course-6a"
    members: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    expires_in: int | None = 3600
    allowed_scopes: frozenset[str] = frozenset({SCOPE_NRPS})
    token_mode: str = "ok"
    memberships_mode: str = "ok"
    delay: float = 3.0
    relative_links: bool = False
    tool_url: str = ""
    # What the next authentication step signs: persona claims for FakePlatform.valid_claims.
    next_launch: dict[str, Any] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    issued: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    jtis: set[str] = field(default_factory=set)
    deep_link_responses: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    fake: FakePlatform | None = None

    # ---------------------------------------------------------------- addresses
    @property
    def token_url(self) -> str:
        return self.url + "/mod/lti/token.php"

    @property
    def memberships_url(self) -> str:
        return f"{self.url}/mod/lti/services.php/CourseSection/{self.course}/bindings/1/memberships"

    @property
    def return_url(self) -> str:
        return self.url + "/mod/lti/contentitem_return.php"

    def nrps_claim(self) -> dict[str, Any]:
        return {"context_memberships_url": self.memberships_url,
                "service_versions": NRPS_VERSIONS}

    def token_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/token.php")]

    def membership_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/memberships")]

    # ---------------------------------------------------------------- endpoints
    def _wait(self, mode: str) -> int | None:
        if mode == "down":
            return 503
        if mode == "slow":
            time.sleep(self.delay)
        return None

    def token(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        failed = self._wait(self.token_mode)
        if failed:
            return failed, {}, b"Service Unavailable"
        if rec.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return _json(400, {"error": "invalid_request"})
        form = {k: v[0] for k, v in parse_qs(rec.body.decode(), strict_parsing=True).items()}
        if (form.get("grant_type") != "client_credentials"
                or form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE):
            return _json(400, {"error": "unsupported_grant_type"})
        try:
            token = jwt.decode(form.get("client_assertion", ""),
                               KeySet.import_key_set(self.tool_jwks()), algorithms=["RS256"])
        except (JoseError, ValueError):
            return _json(401, {"error": "invalid_client"})
        claims = token.claims
        now = time.time()
        if (claims.get("iss") != self.client_id or claims.get("sub") != self.client_id
                or claims.get("aud") != self.token_url or not isinstance(claims.get("exp"), int)
                or claims["exp"] < now or claims.get("jti") in self.jtis
                or not claims.get("jti")):
            return _json(401, {"error": "invalid_client"})
        self.jtis.add(claims["jti"])
        granted = frozenset(form.get("scope", "").split()) & self.allowed_scopes
        value = secrets.token_urlsafe(24)
        self.issued[value] = (now + (self.expires_in or 3600), granted)
        answer: dict[str, Any] = {"access_token": value, "token_type": "Bearer",
                                  "scope": " ".join(sorted(granted))}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        return _json(200, answer)

    def memberships(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        failed = self._wait(self.memberships_mode)
        if failed:
            return failed, {}, b"Service Unavailable"
        auth = rec.headers.get("authorization", "")
        found = self.issued.get(auth[7:]) if auth.startswith("Bearer ") else None
        if found is None or found[0] < time.time() or SCOPE_NRPS not in found[1]:
            return _json(401, {"error": "invalid_token"})
        page = int(rec.query.get("page", ["1"])[0])
        size = int(rec.query.get("limit", [str(self.page_size)])[0])
        chunk = self.members[(page - 1) * size:page * size]
        headers = {"Content-Type": MEDIA_TYPE}
        if page * size < len(self.members):
            query = {k: v[0] for k, v in rec.query.items()}
            query["page"] = str(page + 1)
            target = f"{urlsplit(self.memberships_url).path}?{urlencode(query)}"
            link = target if self.relative_links else self.url + target
            headers["Link"] = (f'<{self.memberships_url}?page=1>; rel="first", '
                               f'<{link}>; rel="next"')
        body = {"id": self.memberships_url,
                "context": {"id": self.course, "label": "6A", "title": "Sixième A"},
                "members": chunk}
        return 200, headers, json.dumps(body).encode()

    def auth(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        assert self.fake is not None
        args = {k: v[0] for k, v in rec.query.items()}
        message_type = self.next_launch.get("message_type", "LtiResourceLinkRequest")
        overrides = {k: v for k, v in self.next_launch.items() if k != "message_type"}
        claims = self.fake.valid_claims(nonce=args.get("nonce", ""), message_type=message_type,
                                        **overrides)
        claims["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] = (
            self.tool_url + "/lti/launch")
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Connexion</title></head><body>
<form id="f" method="post" action="{html.escape(args.get('redirect_uri', ''))}">
<input type="hidden" name="id_token" value="{self.fake.sign(claims)}">
<input type="hidden" name="state" value="{html.escape(args.get('state', ''))}">
<noscript><button type="submit">Continuer</button></noscript></form>
<script>document.getElementById('f').submit();</script></body></html>"""
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def course_page(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        assert self.fake is not None
        query = urlencode({"iss": self.fake.issuer, "login_hint": "someone",
                           "target_link_uri": self.tool_url + "/lti/launch",
                           "client_id": self.client_id,
                           "lti_deployment_id": self.deployment_id})
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cours</title></head><body><h1>Sixième A</h1>
<iframe id="relais" title="Relais" src="{self.tool_url}/lti/login?{html.escape(query)}"
 style="width:100%;height:90vh;border:0"></iframe></body></html>"""
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def deep_link_return(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
        with _urlopen(self.tool_url + "/lti/jwks") as response:
            jwks = json.loads(response.read())
        try:
            token = jwt.decode(form.get("JWT", ""), KeySet.import_key_set(jwks),
                               algorithms=["RS256"])
        except (JoseError, ValueError) as error:
            return 400, {"Content-Type": "text/plain"}, f"refused: {error}".encode()
        self.deep_link_responses.append(token.claims)
        items = token.claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items", [])
        titles = "".join(f"<li>{html.escape(i.get('title', ''))}</li>" for i in items)
        page = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Ajouté'
                f'</title></head><body><h1 id="added">Contenu ajouté</h1><ul>{titles}</ul>'
                f"</body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def route(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        path = rec.path
        if path == "/mod/lti/token.php" and rec.method == "POST":
            return self.token(rec)
        if path == urlsplit(self.memberships_url).path and rec.method == "GET":
            return self.memberships(rec)
        if path == "/mod/lti/certs.php" and self.fake is not None:
            return _json(200, self.fake.jwks())
        if path == "/mod/lti/auth.php":
            return self.auth(rec)
        if path == "/course":
            return self.course_page(rec)
        if path == "/mod/lti/contentitem_return.php" and rec.method == "POST":
            return self.deep_link_return(rec)
        return 404, {"Content-Type": "text/plain"}, b"not found"


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _urlopen(url: str) -> Any:
    import urllib.request

    return urllib.request.urlopen(url, timeout=5)  # noqa: S310 (a local test URL)


def _handler(stub: StubPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            rec = Recorded(self.command, parts.path, parse_qs(parts.query),
                           {k.lower(): v for k, v in self.headers.items()},
                           self.rfile.read(length) if length else b"")
            stub.requests.append(rec)
            try:
                status, headers, body = stub.route(rec)
            except Exception as error:  # a broken stub must say why, not hang the test
                status, headers, body = 500, {"Content-Type": "text/plain"}, repr(error).encode()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to tell it

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def serve(stub: StubPlatform) -> Iterator[StubPlatform]:
    """Serve ``stub`` on a free port of 127.0.0.1 until the block ends; sets ``stub.url`` and a
    ``FakePlatform`` (``stub.fake``) whose issuer and endpoints are this server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    stub.fake = FakePlatform(issuer=stub.url, client_id=stub.client_id,
                             deployment_id=stub.deployment_id)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="stub-platform", daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """An address where nothing listens: the platform is down (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
