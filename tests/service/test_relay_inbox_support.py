"""Helpers shared by the relays' and notifications' tests (no tests here): relays with a
link, requests routed to them, a relay's browser, a real SMTP server (aiosmtpd) and a real
SMS provider stub (an HTTP server), both on free local ports."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from service import db
from service.directory.models import Relay
from service.help.models import HelpRequest
from service.help.routing import RuleInput, add_rule
from service.help.services import NewRequest, create_request
from service.notifications.models import OutboxMessage
from service.notifications.senders import senders_from_config
from service.notifications.worker import Policy, Stats, Worker
from service.relays import access
from tests.conftest import https_client
from tests.service.test_help_support import PHONE_E164

RELAY_MOBILE = "06 98 76 54 32"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_relay(app: Flask, pid: int, name: str = "Samira Haddad", *, email: str = "",
              phone: str = "", kind: str = "parent_ressource", active: bool = True) -> int:
    with app.app_context(), db.transaction() as tx:
        relay = Relay(platform_id=pid, kind=kind, name=name, email=email, phone=phone,
                      active=active)
        tx.add(relay)
        tx.flush()
        return relay.id


def route_to(app: Flask, pid: int, relay_id: int, **criteria: Any) -> int:
    with app.app_context(), db.transaction() as tx:
        return add_rule(tx, RuleInput(platform_id=pid, target="relay", relay_id=relay_id,
                                      **criteria)).id


def new_request(app: Flask, pid: int, **fields: Any) -> tuple[int, str]:
    """A request made on a public page (as a parent would), routed by the platform's rules;
    returns (id, code)."""
    base = NewRequest(platform_id=pid, origin="public", topic="forgot_password",
                      language="fr", phone=PHONE_E164, consent=True, first_name="Samira",
                      moments=("morning",), message="Je n'arrive pas à me connecter.")
    with app.test_request_context(), db.transaction() as tx:
        made = create_request(tx, replace(base, **fields))
        return made.id, made.code


def issue(app: Flask, pid: int, relay_id: int, lasts: timedelta = timedelta(days=90)) -> str:
    """A personal link's token for the relay (as the CLI or the admin page makes it)."""
    with app.app_context(), db.transaction() as tx:
        token, _row = access.issue_link(tx, pid, relay_id, lasts=lasts)
        return token


def relay_client(app: Flask, token: str) -> FlaskClient:
    """A browser that opened the relay's link and landed on the inbox."""
    client = https_client(app)
    response = client.get(f"/r/{token}")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith("/relais/boite")
    return client


def csrf(client: FlaskClient, url: str = "/relais/boite") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(url).get_data(as_text=True))
    assert found, f"{url} has a form"
    return found.group(1)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def error_of(response: TestResponse) -> str | None:
    found = re.search(r'data-error="([^"]+)"', text(response))
    return found.group(1) if found else None


def request_row(app: Flask, request_id: int) -> HelpRequest:
    with app.app_context():
        found = db.session().get(HelpRequest, request_id)
        assert found is not None
        db.session().expunge(found)
        return found


def outbox_rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session().scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            db.session().expunge(row)
        return rows


def worker(app: Flask, clock: Callable[..., Any] | None = None, **policy: Any) -> Worker:
    """A worker over the app's database and configured senders; no jitter surprises: the
    tests move a clock or use tiny delays."""
    base = Policy.from_config(app.config)
    return Worker(app.extensions["relais_engine"], senders_from_config(app.config),
                  replace(base, **policy), **({"clock": clock} if clock else {}))


def run_until(app: Flask, done: Callable[[], bool], *, timeout: float = 20.0,
              **policy: Any) -> Stats:
    """Passes of a worker until ``done()`` (or fail after ``timeout`` seconds)."""
    running = worker(app, **policy)
    total = Stats()
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not done after {timeout} s: {total}"
        total.add(running.run_once())
        time.sleep(0.02)
    return total


# --- a real SMTP server ---------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server received: one (envelope recipients, parsed message) per mail."""

    mails: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.mails if address in rcpt]


class SmtpServer:
    """aiosmtpd on 127.0.0.1:<free port>; ``stop()`` and ``start()`` again on the same port
    to play a mail server that is down for a while."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def configure(self, app: Flask) -> None:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=self.port, SMTP_TIMEOUT=5,
                          SMTP_FROM="Relais <relais@relais.example.fr>")


def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- a real SMS provider stub ----------------------------------------------------------------


@dataclass
class Delivery:
    key: str
    authorization: str
    payload: dict[str, Any]


class SmsProvider:
    """An HTTP server that answers each POST with the next status of ``script`` (then 200),
    and records every message it accepted (2xx) and every attempt."""

    def __init__(self, script: list[int] | None = None, token: str = "sms-secret") -> None:
        self.script = list(script or [])
        self.token = token
        self.accepted: list[Delivery] = []
        self.attempts = 0
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                with provider.lock:
                    provider.attempts += 1
                    status = provider.script.pop(0) if provider.script else 200
                    if 200 <= status < 300:
                        provider.accepted.append(Delivery(
                            self.headers.get("Idempotency-Key", ""),
                            self.headers.get("Authorization", ""), payload))
                body = b'{"ok": true}' if status < 300 else b'{"error": "busy"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmsProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def configure(self, app: Flask) -> None:
        app.config.update(SMS_PROVIDER_URL=self.url, SMS_PROVIDER_TOKEN=self.token,
                          SMS_TIMEOUT=5)


def link_in(body: str) -> str:
    """The path of the first Relais link in a message."""
    found = re.search(r"https://relais\.example\.fr(/\S+)", body)
    assert found, body
    return urlsplit(found.group(0)).path
