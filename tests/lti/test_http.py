"""The requests-based HTTP client, against a local server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from lti.errors import LtiError
from lti.http import HttpResponse, RequestsHttpClient


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/slow":
            threading.Event().wait(1.0)
        self._answer({"path": self.path})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        self._answer(
            {
                "type": self.headers["Content-Type"],
                "body": self.rfile.read(length).decode(),
                "auth": self.headers.get("Authorization"),
            }
        )

    def _answer(self, document: object) -> None:
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "max-age=60")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client() -> Iterator[RequestsHttpClient]:
    with requests.Session() as session:
        yield RequestsHttpClient(session)


def test_get(server: str, client: RequestsHttpClient) -> None:
    response = client.get(server + "/jwks")
    assert response.status == 200 and response.ok
    assert response.json() == {"path": "/jwks"}
    assert response.headers["cache-control"] == "max-age=60"
    assert response.headers["CACHE-CONTROL"] == "max-age=60"


def test_post_form(server: str, client: RequestsHttpClient) -> None:
    response = client.post_form(
        server + "/token",
        {"grant_type": "client_credentials", "scope": "a b"},
        headers={"Authorization": "Bearer t"},
    )
    assert response.json() == {
        "type": "application/x-www-form-urlencoded",
        "body": "grant_type=client_credentials&scope=a+b",
        "auth": "Bearer t",
    }


def test_post_json(server: str, client: RequestsHttpClient) -> None:
    answer = client.post_json(server + "/register", {"client_name": "Relais"}).json()
    assert answer["type"] == "application/json"
    assert json.loads(answer["body"]) == {"client_name": "Relais"}


def test_timeout_is_a_coded_error(server: str, client: RequestsHttpClient) -> None:
    with pytest.raises(LtiError) as info:
        client.get(server + "/slow", timeout=0.1)
    assert (info.value.code, info.value.status) == ("platform_unreachable", 502)


def test_connection_refused_is_a_coded_error(client: RequestsHttpClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LtiError) as info:
        client.get(f"http://127.0.0.1:{port}/", timeout=1)
    assert info.value.code == "platform_unreachable"


def test_response_headers_ignore_case() -> None:
    response = HttpResponse(200, {"Content-Type": "text/plain"}, b"")
    assert response.headers.get("content-type") == "text/plain"
    assert "CONTENT-TYPE" in response.headers
    assert list(response.headers) == ["Content-Type"]
