"""Notifications: a new request → its relays (email over a real SMTP server, or SMS through a
real HTTP stub); a status change → the parent by SMS when they asked, in their language.
Every message is written to the outbox in the transaction of the change; ``relais worker``
delivers it once, through a mail server that goes down and comes back, or an SMS provider
that fails first. No personal detail in an email subject or an SMS preview."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy import update as sa_update

from service import db
from service.directory.models import Relay
from service.help import services as help_services
from service.help.models import HelpRequest
from service.notifications import outbox
from service.relays import services as relay_services
from service.relays.models import RelayAccess
from tests.conftest import https_client
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import (
    PHONE_DIGITS,
    PHONE_E164,
    VALID,
    make_school,
    platform_id,
    submit,
)
from tests.service.test_relay_inbox_support import (
    RELAY_MOBILE,
    SmsProvider,
    SmtpServer,
    add_relay,
    issue,
    link_in,
    new_request,
    outbox_rows,
    relay_client,
    request_row,
    route_to,
    run_until,
    smtp_server,
    text,
    worker,
)

RELAY_EMAIL = "samira@asso-quartier.example.org"
PERSONAL = ("Samira", "Mot de passe", "forgot_password", PHONE_DIGITS, "06 12")


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    for server in smtp_server():
        server.configure(app)
        yield server


def _relay_with_mail(app: Flask, pid: int, **criteria: object) -> int:
    relay = add_relay(app, pid, "Samira Haddad", email=RELAY_EMAIL)
    route_to(app, pid, relay, **criteria)
    return relay


# --- email over SMTP --------------------------------------------------------------------------


def test_a_request_emails_its_relay_with_a_link_that_opens_the_inbox(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    relay = _relay_with_mail(app, pid)
    issue(app, pid, relay)
    make_school(app, pid, "jmoulin")
    parent = https_client(app)
    response = submit(parent, "/e/jmoulin/rappel", VALID)  # the real public form
    assert response.status_code == 303
    stats = worker(app).run_once()
    assert (stats.sent, stats.retried, stats.failed) == (1, 0, 0)
    [mail] = smtp.inbox.to(RELAY_EMAIL)
    subject = str(mail["Subject"])
    assert subject == "Relais : une demande d'aide vous attend"
    assert not any(p.lower() in subject.lower() for p in PERSONAL)
    body = mail.get_payload(decode=True).decode()
    assert "Mot de passe ou codes oubliés" in body  # the topic is in the body, to help
    assert "Samira" not in body and PHONE_DIGITS not in re.sub(r"\D", "", body)
    assert mail["Message-ID"] and mail["Auto-Submitted"] == "auto-generated"
    # The link signs the relay in and opens their inbox, with the request in it.
    browser = https_client(app)
    opened = browser.get(link_in(body))
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/relais/boite")
    inbox = browser.get("/relais/boite")
    assert inbox.status_code == 200 and "Samira" in text(inbox)
    with app.app_context():
        kinds = sorted(r.kind for r in db.session().scalars(select(RelayAccess)))
    assert kinds == ["notification", "personal"]
    # A second pass sends nothing again.
    assert worker(app).run_once().sent == 0
    assert len(smtp.inbox.mails) == 1


def test_a_relay_without_a_link_gets_the_plain_inbox_address(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    _relay_with_mail(app, pid)  # no personal link given yet
    new_request(app, pid)
    worker(app).run_once()
    [mail] = smtp.inbox.to(RELAY_EMAIL)
    body = mail.get_payload(decode=True).decode()
    assert "https://relais.example.fr/relais/boite" in body and "/r/" not in body
    with app.app_context():
        assert db.session().scalar(select(RelayAccess)) is None  # no link made for them


def test_smtp_down_for_a_while_then_every_message_arrives_once(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    relays = [add_relay(app, pid, f"Relais {i}", email=f"r{i}@asso.example.org")
              for i in range(3)]
    for relay in relays:
        route_to(app, pid, relay)  # equally specific: each request goes to all three
    smtp.stop()
    for _ in range(4):
        new_request(app, pid)
    now = datetime.now(UTC)
    clock = [now]
    running = worker(app, clock=lambda: clock[0], base_seconds=30)
    first = running.run_once()
    assert (first.sent, first.retried) == (0, 12)
    assert {m.status for m in outbox_rows(app)} == {"pending"}
    assert all(m.attempts == 1 and m.last_error.startswith("smtp") for m in outbox_rows(app))
    clock[0] = now + timedelta(seconds=20)  # not due yet: nothing is tried
    assert running.run_once().retried == 0
    clock[0] = now + timedelta(seconds=40)  # due again, the server still down
    assert running.run_once().retried == 12
    assert {m.attempts for m in outbox_rows(app)} == {2}
    smtp.start()  # back
    clock[0] = now + timedelta(minutes=5)
    assert running.run_once().sent == 12
    assert running.run_once().sent == 0
    ids = [str(m["Message-ID"]) for _, m in smtp.inbox.mails]
    assert len(ids) == 12 and len(set(ids)) == 12
    for i in range(3):
        assert len(smtp.inbox.to(f"r{i}@asso.example.org")) == 4
    assert {m.status for m in outbox_rows(app)} == {"sent"}


def test_the_worker_loop_rides_out_a_mail_server_outage(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    for i in range(2):
        route_to(app, pid, add_relay(app, pid, f"Relais {i}", email=f"r{i}@asso.example.org"))
    smtp.stop()
    for _ in range(5):
        new_request(app, pid)
    stop = threading.Event()
    running = worker(app, base_seconds=0.05, max_seconds=0.2)
    loop = threading.Thread(target=running.run_forever, kwargs={"interval": 0.05, "stop": stop})
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while not all(m.attempts >= 2 for m in outbox_rows(app)):
            assert time.monotonic() < deadline, "the worker did not retry"
            time.sleep(0.05)
        assert smtp.inbox.mails == []
        smtp.start()
        while not all(m.status == "sent" for m in outbox_rows(app)):
            assert time.monotonic() < deadline + 10, "not delivered after the server came back"
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(10)
    ids = [str(m["Message-ID"]) for _, m in smtp.inbox.mails]
    assert len(ids) == 10 and len(set(ids)) == 10


# --- SMS through the HTTP provider ---------------------------------------------------------------


def test_an_sms_provider_answering_500_then_200_delivers_once(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid, "Karim", phone=RELAY_MOBILE)  # no email: SMS
    route_to(app, pid, relay)
    issue(app, pid, relay)
    with SmsProvider(script=[500]) as provider:
        provider.configure(app)
        request_id, _ = new_request(app, pid)
        [queued] = outbox_rows(app)
        assert (queued.channel, queued.recipient) == ("sms", "+33698765432")
        stats = run_until(app, lambda: len(provider.accepted) == 1, base_seconds=0.01)
        assert stats.retried == 1 and stats.sent == 1
        assert worker(app).run_once().sent == 0
        time.sleep(0.05)
    assert provider.attempts == 2 and len(provider.accepted) == 1
    [sms] = provider.accepted
    assert sms.authorization == "Bearer sms-secret"
    assert sms.key == queued.key and sms.payload["reference"] == queued.key
    assert sms.payload["to"] == "+33698765432"
    preview = sms.payload["text"][:60]
    assert preview.startswith("Relais : une demande d'aide vous attend")
    assert not any(p in sms.payload["text"] for p in PERSONAL)
    # The link in it signs the relay in.
    client = https_client(app)
    assert client.get(link_in(sms.payload["text"]), follow_redirects=True).status_code == 200
    assert request_row(app, request_id).status == "new"


@pytest.mark.parametrize("language, expected", [
    ("fr", "Relais : du nouveau pour votre demande d'aide. Quelqu'un va vous contacter"),
    ("ar", "سيتصل بك شخص قريبًا"),
    ("tr", "Yakında biri sizinle iletişime geçecek"),
    ("en", "Someone will contact you soon"),
    ("pt", "Alguém vai contactá-lo em breve"),
])
def test_the_parent_is_told_by_sms_in_their_language_when_they_asked(
    app: Flask, pid: int, language: str, expected: str
) -> None:
    relay = add_relay(app, pid, "Samira")
    route_to(app, pid, relay)
    with SmsProvider() as provider:
        provider.configure(app)
        request_id, code = new_request(app, pid, language=language, sms_updates=True)
        assert outbox_rows(app) == []  # the relay has no email and no mobile: nobody to tell
        with app.test_request_context(), db.transaction() as tx:
            relay_services.set_status(tx, tx.get(HelpRequest, request_id), tx.get(Relay, relay),
                                      "contacted")
        run_until(app, lambda: len(provider.accepted) == 1)
    [sms] = provider.accepted
    assert sms.payload["to"] == PHONE_E164
    body = sms.payload["text"]
    assert expected in body
    assert f"https://relais.example.fr/demande/{code[:4]}-{code[4:]}" in body
    assert "Samira" not in body and "Mot de passe" not in body


def test_no_sms_to_a_parent_who_did_not_ask(app: Flask, pid: int) -> None:
    relay = add_relay(app, pid, "Samira")
    route_to(app, pid, relay)
    with SmsProvider() as provider:
        provider.configure(app)
        request_id, _ = new_request(app, pid, sms_updates=False)
        client = relay_client(app, issue(app, pid, relay))
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          text(client.get("/relais/boite"))).group(1)
        client.post(f"/relais/boite/{request_id}/statut",
                    data={"csrf_token": token, "status": "contacted"})
        assert request_row(app, request_id).status == "contacted"
        assert outbox_rows(app) == []


def test_an_ent_request_sms_has_no_link_that_would_not_open(app: Flask, pid: int) -> None:
    with SmsProvider() as provider:
        provider.configure(app)
        request_id, _ = new_request(app, pid, origin="ent", user_id="parent-1",
                                    sms_updates=True)
        with app.test_request_context(), db.transaction() as tx:
            help_services.change_status(tx, tx.get(HelpRequest, request_id), "resolved",
                                        actor_kind="admin")
        [queued] = outbox_rows(app)
    assert "/demande/" not in queued.body and "depuis l'ENT" in queued.body
    assert queued.body.startswith("Relais : votre demande d'aide est terminée.")


def test_erasing_the_number_withdraws_the_sms_not_yet_sent(app: Flask, pid: int) -> None:
    with SmsProvider() as provider:
        provider.configure(app)
        request_id, _ = new_request(app, pid, sms_updates=True)
        with app.test_request_context(), db.transaction() as tx:
            found = tx.get(HelpRequest, request_id)
            help_services.change_status(tx, found, "contacted", actor_kind="admin")
        assert [m.recipient for m in outbox_rows(app)] == [PHONE_E164]
        with app.test_request_context(), db.transaction() as tx:
            help_services.erase_phone(tx, tx.get(HelpRequest, request_id), actor_kind="parent")
        assert outbox_rows(app) == []
        assert worker(app).run_once().sent == 0
    assert provider.attempts == 0


def test_the_form_records_the_parents_sms_wish(app: Flask, pid: int) -> None:
    make_school(app, pid, "jmoulin")
    form = text(https_client(app).get("/e/jmoulin/rappel"))
    assert 'name="sms_updates"' in form and "Prévenez-moi par SMS" in form
    submit(https_client(app), "/e/jmoulin/rappel", {**VALID, "sms_updates": "yes"})
    submit(https_client(app), "/e/jmoulin/rappel", VALID)
    submit(https_client(app), "/e/jmoulin/rappel", {**VALID, "sms_updates": "maybe"})
    with app.app_context():
        wishes = list(db.session().scalars(
            select(HelpRequest.sms_updates).order_by(HelpRequest.id)))
    assert wishes == [True, False, False]


# --- the outbox and the transaction ---------------------------------------------------------------


def test_the_message_is_written_with_the_request_or_not_at_all(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    _relay_with_mail(app, pid)
    with pytest.raises(RuntimeError), app.test_request_context(), db.transaction() as tx:
        help_services.create_request(tx, help_services.NewRequest(
            platform_id=pid, origin="public", topic="bourse", language="fr",
            phone=PHONE_E164, consent=True))
        assert len([m for m in tx.new if type(m).__name__ == "OutboxMessage"]) == 1
        raise RuntimeError("the rest of the unit of work failed")
    assert outbox_rows(app) == []
    with app.app_context():
        assert db.session().scalar(select(HelpRequest)) is None


def test_a_failing_outbox_write_keeps_the_request_out_too(
    app: Flask, pid: int, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _relay_with_mail(app, pid)

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        new_request(app, pid)
    with app.app_context():
        assert db.session().scalar(select(HelpRequest)) is None


def test_without_a_worker_the_site_works_and_messages_wait(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    _relay_with_mail(app, pid)
    smtp.stop()  # and no worker at all
    make_school(app, pid, "jmoulin")
    for _ in range(3):
        response = submit(https_client(app), "/e/jmoulin/rappel", VALID)
        assert response.status_code == 303
    waiting = outbox_rows(app)
    assert len(waiting) == 3 and {m.status for m in waiting} == {"pending"}
    assert {m.attempts for m in waiting} == {0}
    assert app.test_cli_runner().invoke(args=["worker", "--stats"]).output.strip() == (
        "pending 3, sent 0, failed 0")


def test_nothing_is_queued_for_a_channel_that_is_not_configured(app: Flask, pid: int) -> None:
    route_to(app, pid, add_relay(app, pid, "Both", email=RELAY_EMAIL, phone=RELAY_MOBILE))
    new_request(app, pid, sms_updates=True)
    assert outbox_rows(app) == []


def test_email_wins_over_sms_for_a_relay_who_has_both(app: Flask, pid: int,
                                                      smtp: SmtpServer) -> None:
    route_to(app, pid, add_relay(app, pid, "Both", email=RELAY_EMAIL, phone=RELAY_MOBILE))
    with SmsProvider() as provider:
        provider.configure(app)
        new_request(app, pid)
    assert [m.channel for m in outbox_rows(app)] == ["email"]


def test_a_landline_gets_no_sms(app: Flask, pid: int) -> None:
    route_to(app, pid, add_relay(app, pid, "Centre social", phone="01 42 00 00 00"))
    with SmsProvider() as provider:
        provider.configure(app)
        new_request(app, pid)
    assert outbox_rows(app) == []


def test_the_relay_a_request_is_handed_to_is_told(app: Flask, pid: int,
                                                  smtp: SmtpServer) -> None:
    first = _relay_with_mail(app, pid)
    second = add_relay(app, pid, "Karim", email="karim@asso.example.org")
    issue(app, pid, second)
    request_id, _ = new_request(app, pid)
    with app.test_request_context(), db.transaction() as tx:
        relay_services.hand_over(tx, tx.get(HelpRequest, request_id), tx.get(Relay, first),
                                 tx.get(Relay, second))
    worker(app).run_once()
    assert len(smtp.inbox.to(RELAY_EMAIL)) == 1
    [mail] = smtp.inbox.to("karim@asso.example.org")
    assert "/r/" in mail.get_payload(decode=True).decode()


def test_the_same_key_is_queued_once(app: Flask, pid: int) -> None:
    message = outbox.Message(platform_id=pid, key="k-1", channel="sms",
                             recipient=PHONE_E164, body="Relais : test")
    with app.app_context(), db.transaction() as tx:
        assert outbox.enqueue(tx, message) is True
        assert outbox.enqueue(tx, message) is False  # in the same transaction
    with app.app_context(), db.transaction() as tx:
        assert outbox.enqueue(tx, message) is False  # and later
    assert len(outbox_rows(app)) == 1
    for bad in (dict(channel="fax"), dict(recipient=""), dict(body=""), dict(key="k" * 201),
                dict(channel="email", subject="two\nlines")):
        with pytest.raises(ValueError), app.app_context():
            outbox.enqueue(db.session(), replace(message, **bad))


def test_email_links_that_expired_are_cleared_as_new_ones_are_made(
    app: Flask, pid: int, smtp: SmtpServer
) -> None:
    relay = _relay_with_mail(app, pid)
    issue(app, pid, relay)
    new_request(app, pid)
    with app.app_context(), db.transaction() as tx:
        tx.execute(sa_update(RelayAccess).where(RelayAccess.kind == "notification")
                   .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    new_request(app, pid)
    with app.app_context():
        kinds = sorted(r.kind for r in db.session().scalars(select(RelayAccess)))
    assert kinds == ["notification", "personal"]
