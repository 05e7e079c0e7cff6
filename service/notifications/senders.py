"""Deliver one message: email over SMTP (``smtplib``), SMS through an HTTP provider.

Each sender raises ``DeliveryFailed`` with ``permanent=True`` when trying again cannot help
(an address the server refuses for good, a request the provider rejects), and ``False`` when
it may (a server down, a timeout, a 5xx or a 429). ``DeliveryFailed.reason`` is short and holds
no address or text: it is stored on the message.

The SMS provider receives ``POST SMS_PROVIDER_URL`` with a JSON body ``{"to": "+336…",
"text": "…", "sender": "Relais", "reference": "<key>"}``, ``Authorization: Bearer <token>`` and
``Idempotency-Key: <key>``; any 2xx means it took the message. Most providers accept this
shape, or a small relay in front of them does.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from service.notifications.models import OutboxMessage


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Hand the message over; raise ``DeliveryFailed`` if it was not taken."""


def message_id(key: str, domain: str) -> str:
    """The same Message-ID for every attempt at one message, so that a retry after a cut
    connection is recognised by mail servers and clients as the message they already have."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpSender:
    """One SMTP connection per message: simple, and a server that drops us in the middle of a
    batch costs one message's retry, not the batch's."""

    def __init__(self, host: str, port: int = 25, *, sender: str, security: str = "none",
                 username: str | None = None, password: str | None = None,
                 timeout: float = 10.0, domain: str = "relais.invalid") -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError("SMTP_SECURITY is one of none, starttls, ssl")
        self.host, self.port, self.sender = host, port, sender
        self.security, self.username, self.password = security, username, password
        self.timeout, self.domain = timeout, domain

    def build(self, message: OutboxMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = message_id(message.key, self.domain)
        mail["Auto-Submitted"] = "auto-generated"  # no vacation replies to a robot
        mail.set_content(message.body)
        return mail

    def send(self, message: OutboxMessage) -> None:
        mail = self.build(message)
        try:
            if self.security == "ssl":
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout,
                    context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            permanent = bool(codes) and all(500 <= code < 600 for code in codes)
            raise DeliveryFailed(f"smtp recipient {codes[0] if codes else '?'}",
                                 permanent=permanent) from error
        except smtplib.SMTPResponseException as error:
            # 5xx on the message itself (too big, refused): trying again will not help.
            permanent = 500 <= error.smtp_code < 600 and not isinstance(
                error, smtplib.SMTPAuthenticationError)
            raise DeliveryFailed(f"smtp {error.smtp_code}", permanent=permanent) from error
        except (smtplib.SMTPException, OSError) as error:  # refused, reset, timeout, TLS
            raise DeliveryFailed(f"smtp {type(error).__name__}") from error


class HttpSmsSender:
    def __init__(self, url: str, token: str | None, *, sender: str = "Relais",
                 timeout: float = 10.0, session: requests.Session | None = None) -> None:
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout
        self.session = session or requests.Session()

    def send(self, message: OutboxMessage) -> None:
        headers = {"Idempotency-Key": message.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {"to": message.recipient, "text": message.body, "sender": self.sender,
                   "reference": message.key}
        try:
            response = self.session.post(self.url, json=payload, headers=headers,
                                         timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as error:
            raise DeliveryFailed(f"http {type(error).__name__}") from error
        status = response.status_code
        if 200 <= status < 300:
            return
        retry = status >= 500 or status in (408, 409, 425, 429)
        raise DeliveryFailed(f"http {status}", permanent=not retry)


def senders_from_config(config: Mapping[str, Any]) -> dict[str, Sender]:
    """The senders the configuration sets up, by channel; a channel left unconfigured has
    none (and nothing is queued for it, see ``configured_channels``)."""
    found: dict[str, Sender] = {}
    if config.get("SMTP_HOST"):
        found["email"] = SmtpSender(
            str(config["SMTP_HOST"]),
            int(config.get("SMTP_PORT") or 25),
            sender=str(config.get("SMTP_FROM") or "Relais <relais@localhost>"),
            security=str(config.get("SMTP_SECURITY") or "none"),
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            timeout=float(config.get("SMTP_TIMEOUT") or 10),
            domain=urlsplit(str(config.get("BASE_URL", ""))).hostname or socket.getfqdn(),
        )
    if config.get("SMS_PROVIDER_URL"):
        found["sms"] = HttpSmsSender(
            str(config["SMS_PROVIDER_URL"]),
            config.get("SMS_PROVIDER_TOKEN") or None,
            sender=str(config.get("SMS_SENDER") or "Relais"),
            timeout=float(config.get("SMS_TIMEOUT") or 10),
        )
    return found


def configured_channels(config: Mapping[str, Any]) -> frozenset[str]:
    """The channels messages may be queued for: those a sender is configured for."""
    channels = set()
    if config.get("SMTP_HOST"):
        channels.add("email")
    if config.get("SMS_PROVIDER_URL"):
        channels.add("sms")
    return frozenset(channels)
