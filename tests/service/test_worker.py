"""``relais worker``: exponential backoff, giving up, permanent failures, the command line,
tidying, and — with several workers at once — each message delivered exactly once (SQLite:
one atomic claim with a lease; PostgreSQL: ``FOR UPDATE SKIP LOCKED``, 1,000 messages)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from service import db
from service.db import make_engine
from service.notifications import outbox
from service.notifications.models import OutboxMessage
from service.notifications.senders import senders_from_config
from service.notifications.worker import Policy, Stats, Worker
from tests.conftest import PG_URL
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import platform_id
from tests.service.test_relay_inbox_support import SmsProvider, outbox_rows, worker


@pytest.fixture
def pid(app: Flask, platform: FakePlatform) -> int:
    return platform_id(app, platform)


def queue(app: Flask, pid: int, n: int, *, prefix: str = "m") -> list[str]:
    keys = [f"{prefix}-{i}" for i in range(n)]
    with app.app_context(), db.transaction() as tx:
        for key in keys:
            outbox.enqueue(tx, outbox.Message(platform_id=pid, key=key, channel="sms",
                                              recipient="+33612345678", body=f"Relais : {key}"))
    return keys


def test_the_wait_doubles_up_to_a_ceiling() -> None:
    policy = Policy(base_seconds=30, max_seconds=600)
    for attempts, seconds in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 600),
                              (12, 600)]:
        wait = policy.delay(attempts).total_seconds()
        assert seconds <= wait <= seconds * 1.1, (attempts, wait)


def test_a_message_is_given_up_after_the_last_attempt(app: Flask, pid: int) -> None:
    queue(app, pid, 1)
    with SmsProvider(script=[503] * 10) as provider:
        provider.configure(app)
        clock = [datetime.now(UTC)]
        running = worker(app, clock=lambda: clock[0], max_attempts=3, base_seconds=10)
        for expected in ("pending", "pending", "failed"):
            running.run_once()
            [row] = outbox_rows(app)
            assert row.status == expected
            clock[0] += timedelta(hours=1)
        assert running.run_once() == Stats()
    assert provider.attempts == 3 and provider.accepted == []
    assert (row.attempts, row.last_error) == (3, "http 503")


def test_a_refusal_that_cannot_change_is_not_retried(app: Flask, pid: int) -> None:
    queue(app, pid, 1)
    with SmsProvider(script=[400]) as provider:
        provider.configure(app)
        stats = worker(app).run_once()
    assert (stats.failed, provider.attempts) == (1, 1)
    assert [(m.status, m.last_error) for m in outbox_rows(app)] == [("failed", "http 400")]


def test_an_unreachable_provider_and_429_are_retried(app: Flask, pid: int) -> None:
    queue(app, pid, 1, prefix="down")
    app.config.update(SMS_PROVIDER_URL="http://127.0.0.1:9/sms", SMS_TIMEOUT=1)
    assert worker(app).run_once().retried == 1
    [row] = outbox_rows(app)
    assert row.status == "pending" and row.last_error.startswith("http ")
    with SmsProvider(script=[429]) as provider:
        provider.configure(app)
        queue(app, pid, 1, prefix="busy")
        stats = worker(app).run_once()
    assert stats.retried == 1 and provider.attempts == 1


def test_a_channel_without_a_sender_waits(app: Flask, pid: int) -> None:
    queue(app, pid, 1)  # no SMS provider configured in this app
    assert worker(app).run_once().retried == 1
    assert outbox_rows(app)[0].last_error == "no sms sender configured"


def test_the_command_delivers_once_and_prints_its_count(app: Flask, pid: int) -> None:
    queue(app, pid, 3)
    with SmsProvider() as provider:
        provider.configure(app)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "sent 3, to retry 0, failed 0" in result.output
        assert "not configured: email" in result.output
        assert "sent 0" in runner.invoke(args=["worker", "--once"]).output
    assert sorted(d.key for d in provider.accepted) == ["m-0", "m-1", "m-2"]
    assert runner.invoke(args=["worker", "--stats"]).output.strip() == (
        "pending 0, sent 3, failed 0")


def test_finished_messages_are_deleted_after_the_keeping_time(app: Flask, pid: int) -> None:
    queue(app, pid, 2)
    with SmsProvider() as provider:
        provider.configure(app)
        worker(app).run_once()
    queue(app, pid, 1, prefix="waiting")
    later = datetime.now(UTC) + timedelta(days=8)
    assert worker(app, clock=lambda: later, keep_days=7).purge() == 2
    assert [m.key for m in outbox_rows(app)] == ["waiting-0"]


def test_a_claim_left_by_a_dead_worker_is_taken_again(app: Flask, pid: int) -> None:
    if PG_URL:
        pytest.skip("PostgreSQL holds a row lock, released when a worker dies")
    queue(app, pid, 1)
    now = datetime.now(UTC)
    with app.app_context(), db.transaction() as tx:  # a worker claimed it, then died
        tx.execute(update(OutboxMessage).values(lease_until=now + timedelta(minutes=2),
                                                lease_token="dead"))
    with SmsProvider() as provider:
        provider.configure(app)
        assert worker(app).run_once().sent == 0  # still claimed
        later = now + timedelta(minutes=3)
        assert worker(app, clock=lambda: later).run_once().sent == 1
    assert [d.key for d in provider.accepted] == ["m-0"]


def _race(app: Flask, url: str, provider: SmsProvider, workers: int) -> list[Stats]:
    """``workers`` workers, each on its own engine (as separate processes would be), all
    delivering the same queue at once."""
    results: list[Stats] = [Stats() for _ in range(workers)]
    errors: list[BaseException] = []
    start = threading.Barrier(workers)
    policy = replace(Policy.from_config(app.config), base_seconds=0.01)

    def run(i: int) -> None:
        engine = make_engine(url)
        try:
            running = Worker(engine, senders_from_config(app.config), policy)
            start.wait()
            results[i] = running.run_once()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


def _database_url(app: Flask) -> str:
    return str(app.extensions["relais_engine"].url.render_as_string(hide_password=False))


def test_two_workers_deliver_each_message_exactly_once(app: Flask, pid: int) -> None:
    """On SQLite too: the claim is one atomic UPDATE, so even two workers never share one
    (a single worker is what the documentation asks for there)."""
    keys = queue(app, pid, 200)
    with SmsProvider() as provider:
        provider.configure(app)
        results = _race(app, _database_url(app), provider, 2)
    counted = Counter(d.key for d in provider.accepted)
    assert sorted(counted) == sorted(keys)
    assert set(counted.values()) == {1}
    assert sum(r.sent for r in results) == 200
    assert {m.status for m in outbox_rows(app)} == {"sent"}


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs RELAIS_TEST_DATABASE_URL (PostgreSQL)")
def test_on_postgresql_two_workers_and_1000_messages_each_delivered_once(
    app: Flask, pid: int
) -> None:
    keys = queue(app, pid, 1000)
    with SmsProvider() as provider:
        provider.configure(app)
        results = _race(app, _database_url(app), provider, 2)
    counted = Counter(d.key for d in provider.accepted)
    assert len(provider.accepted) == 1000 == provider.attempts
    assert sorted(counted) == sorted(keys) and set(counted.values()) == {1}
    assert [r.sent for r in results] != [1000, 0] and [r.sent for r in results] != [0, 1000], \
        "both workers took a share"
    assert sum(r.sent for r in results) == 1000
    assert {m.status for m in outbox_rows(app)} == {"sent"}


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs RELAIS_TEST_DATABASE_URL (PostgreSQL)")
def test_on_postgresql_a_message_another_worker_holds_is_skipped(app: Flask, pid: int) -> None:
    queue(app, pid, 2)
    engine = app.extensions["relais_engine"]
    with SmsProvider() as provider:
        provider.configure(app)
        with engine.connect() as other, other.begin():  # another worker, mid-send on m-0
            other.execute(select(OutboxMessage.id).where(OutboxMessage.key == "m-0")
                          .with_for_update())
            assert worker(app).run_once().sent == 1
            assert [d.key for d in provider.accepted] == ["m-1"]
        assert worker(app).run_once().sent == 1  # released: now it goes, once
    assert sorted(d.key for d in provider.accepted) == ["m-0", "m-1"]
