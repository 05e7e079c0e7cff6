"""The reach dashboard against a stub platform served for real on 127.0.0.1: the class list
(NRPS) read whole, the token fetched once and reused until it expires, the figures matched with
Relais' own records, and a platform that offers no NRPS, is down, slow or refuses: a plain note,
within a bounded time, never a 5xx."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import db
from service.launch.tool_keys import tool_key_set
from tests.conftest import https_client, make_app
from tests.helpers import LaunchHelper
from tests.lti.fakes import FakeClock
from tests.service.test_teachers import CLASS_A, page, pid, text
from tests.stub_platform import ROLE_INSTRUCTOR, StubPlatform, learner, serve

PUPILS = [learner(n, given, family) for n, (given, family) in enumerate([
    ("Yanis", "Benali"), ("Inès", "Carvalho"), ("Emre", "Demir"), ("Lina", "Haddad"),
    ("Noah", "Martin"),
], start=1)]
MEMBERS = [{"user_id": "teacher-1", "roles": [ROLE_INSTRUCTOR], "name": "Claire Martin"},
           *PUPILS,
           learner(9, "Ancien", "Élève", status="Inactive")]


@pytest.fixture
def stub(app: Flask) -> Iterator[StubPlatform]:
    def jwks() -> dict[str, Any]:
        with app.app_context():
            return tool_key_set().jwks()

    with serve(StubPlatform(tool_jwks=jwks, members=list(MEMBERS), page_size=2)) as running:
        assert running.fake is not None
        LaunchHelper(app).register(running.fake)
        yield running


@pytest.fixture
def nrps_launcher(app: Flask, stub: StubPlatform) -> LaunchHelper:
    return LaunchHelper(app, stub.fake)


def teacher_with_nrps(launcher: LaunchHelper, client: FlaskClient, stub: StubPlatform,
                      **claims: Any) -> FlaskClient:
    launcher.as_(client, "teacher", context=CLASS_A, nrps=stub.nrps_claim(), **claims)
    return client


def figure(body: str, key: str) -> str:
    match = re.search(rf'id="figure-{key}"><th scope="row">[^<]*</th>\s*<td>([^<]*)</td>', body)
    assert match, key
    return match.group(1)


def dashboard(client: FlaskClient) -> tuple[str, str]:
    response = client.get("/enseignant/familles")
    parsed = page(response)
    return text(response), str(parsed.body.get("data-class-list"))


def test_the_class_list_is_read_whole_and_matched_with_the_visits(
    app: Flask, stub: StubPlatform, nrps_launcher: LaunchHelper
) -> None:
    # Parents: one names pupil-1 and pupil-3 as children, one uses pupil-4's own account, one
    # names no child the class knows.
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A,
                         role_scope_mentor=["pupil-1", "pupil-3"])
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A, sub="pupil-4",
                         role_scope_mentor=[])
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A, sub="parent-x",
                         role_scope_mentor=["someone-else"])
    client = teacher_with_nrps(nrps_launcher, https_client(app), stub)
    body, status = dashboard(client)
    assert status == "ok"
    assert len(stub.membership_requests()) == 4  # 8 members, 2 a page: every page read
    assert figure(body, "families") == "5"  # active pupils only
    assert figure(body, "opened") == "3"
    not_reached = re.findall(r"<li>La famille de ([^<]+)</li>", body)
    assert not_reached == ["Inès Carvalho", "Noah Martin"]  # alphabetical, never ranked
    assert "Claire Martin" not in body and "Ancien" not in body
    assert "1 parent a ouvert Relais depuis la classe sans que la plateforme dise de quel élève" \
        in body
    # The chart shows the same figures as the table.
    svg = body[body.index("<svg class=\"funnel\""):body.index("</svg>")]
    assert re.findall(r'class="funnel-value"[^>]*>(\d+)<', svg)[:2] == ["5", "3"]


def test_wizard_figures_come_from_the_wizard_when_it_is_installed(
    app: Flask, stub: StubPlatform, nrps_launcher: LaunchHelper
) -> None:
    models = pytest.importorskip("service.onboarding.models")
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A,
                         role_scope_mentor=["pupil-1"], sub="parent-1")
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A,
                         role_scope_mentor=["pupil-2"], sub="parent-2")
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A,
                         role_scope_mentor=["pupil-3"], sub="parent-3")
    platform_id = pid(app, stub.fake)  # type: ignore[arg-type]
    with app.app_context(), db.transaction() as tx:
        tx.add(models.WizardProgress(platform_id=platform_id, user_id="parent-1",
                                     current_step="done"))
        tx.add(models.WizardProgress(platform_id=platform_id, user_id="parent-2",
                                     current_step="install"))
        tx.add(models.WizardProgress(platform_id=platform_id, user_id="stranger",
                                     current_step="done"))
    body, _ = dashboard(teacher_with_nrps(nrps_launcher, https_client(app), stub))
    assert (figure(body, "opened"), figure(body, "wizard_started"),
            figure(body, "wizard_finished")) == ("3", "2", "1")


def test_the_token_is_fetched_once_and_reused_until_it_expires(
    app: Flask, stub: StubPlatform, nrps_launcher: LaunchHelper
) -> None:
    clock = FakeClock()
    app.extensions["relais_clock"] = clock
    client = teacher_with_nrps(nrps_launcher, https_client(app), stub)
    for _ in range(3):
        assert dashboard(client)[1] == "ok"
        clock.advance(1000)
    assert len(stub.token_requests()) == 1
    clock.advance(700)  # 3700 s after the token was given: it expired
    assert dashboard(client)[1] == "ok"
    assert len(stub.token_requests()) == 2


def test_a_platform_without_nrps_is_said_plainly(
    app: Flask, client: FlaskClient, launcher: LaunchHelper
) -> None:
    launcher.as_(https_client(app), "parent", context=CLASS_A)
    launcher.as_(client, "teacher", context=CLASS_A)
    body, status = dashboard(client)
    assert status == "no_service"
    assert "La plateforme ne partage pas la liste de la classe avec Relais." in body
    assert figure(body, "families") == "non disponible : sans la liste de la classe"
    assert figure(body, "opened") == "1"
    assert "Sans la liste de la classe, Relais ne peut pas savoir" in body
    assert 'class="funnel-unknown"' in body


@pytest.mark.parametrize(
    ("setup", "status", "note"),
    [
        ({"memberships_mode": "down"}, "unreachable", "n'a pas répondu à temps"),
        ({"token_mode": "down"}, "unreachable", "n'a pas répondu à temps"),
        ({"memberships_mode": "slow"}, "unreachable", "n'a pas répondu à temps"),
        ({"token_mode": "slow"}, "unreachable", "n'a pas répondu à temps"),
        ({"allowed_scopes": frozenset()}, "refused", "n'a pas autorisé Relais"),
    ],
)
def test_a_down_slow_or_refusing_platform_gives_a_note_in_bounded_time(
    app: Flask, stub: StubPlatform, nrps_launcher: LaunchHelper, setup: dict[str, Any],
    status: str, note: str
) -> None:
    app.config.update(NRPS_TIMEOUT_SECONDS=0.5, NRPS_BUDGET_SECONDS=1.0)
    nrps_launcher.launch(https_client(app), "parent", context=CLASS_A,
                         role_scope_mentor=["pupil-1"])
    client = teacher_with_nrps(nrps_launcher, https_client(app), stub)
    for key, value in setup.items():
        setattr(stub, key, value)
    stub.delay = 3.0
    started = time.monotonic()
    body, shown = dashboard(client)  # asserts a 200
    assert time.monotonic() - started < 2.0
    assert shown == status and note in body
    assert figure(body, "families") == "non disponible : sans la liste de la classe"
    assert figure(body, "opened") == "1"  # what Relais knows is still shown


def test_a_platform_that_is_not_there_at_all(app: Flask, stub: StubPlatform,
                                             nrps_launcher: LaunchHelper) -> None:
    from tests.stub_platform import closed_port_url

    claim = {"context_memberships_url": closed_port_url() + "/memberships",
             "service_versions": ["2.0"]}
    client = https_client(app)
    nrps_launcher.as_(client, "teacher", context=CLASS_A, nrps=claim)
    started = time.monotonic()
    assert dashboard(client)[1] == "unreachable"
    assert time.monotonic() - started < 4.0


def test_the_default_time_bound_is_a_few_seconds(tmp_path: Any) -> None:
    """Without settings, one call waits 3 s at most and the whole read 6 s."""
    from service.teachers import roster

    assert (roster.TIMEOUT_SECONDS, roster.BUDGET_SECONDS) == (3.0, 6.0)
    app = make_app("sqlite://", str(tmp_path))
    with app.app_context():
        assert roster.services_http().timeout == 3.0
