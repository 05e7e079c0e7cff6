"""Privacy: the purge removes exactly what is past retention, automatically too; one person's
export and erasure (by themselves or by an admin) leave no trace of them in any table; the
parents' privacy page says it in plain words."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import db
from service.db import Base
from service.help import services as help_services
from service.help.models import HelpRequest
from service.help.services import NewRequest
from service.privacy import audit, automatic
from service.privacy.models import AuditEntry, MaintenanceRun
from service.privacy.services import Person, purge
from service.schools.models import School
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import (
    add_school,
    csrf,
    error_of,
    field_errors,
    platform_id,
    post,
    register_other,
    signed_in,
    text,
)
from tests.service.test_security import checked

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PHONE = "+33612345678"


def wizard_model() -> Any:
    """The wizard's progress (issue 4); these tests skip where the wizard is not there."""
    return pytest.importorskip("service.onboarding.models").WizardProgress


def new_request(app: Flask, pid: int, at: datetime, *, user_id: str | None = "parent-1",
                phone: str | None = PHONE, first_name: str = "Awa", message: str = "",
                origin: str = "ent", school_id: int | None = None) -> int:
    with app.test_request_context(), db.transaction() as tx:
        made = help_services.create_request(tx, NewRequest(
            platform_id=pid, origin=origin, topic="connect_ent", language="fr",
            channel="callback" if phone else "in_person", phone=phone, consent=phone is not None,
            first_name=first_name, message=message, user_id=user_id, school_id=school_id),
            now=at)
        return made.id


def new_progress(app: Flask, pid: int, user_id: str, at: datetime) -> None:
    model = wizard_model()
    with app.app_context(), db.transaction() as tx:
        tx.add(model(platform_id=pid, user_id=user_id, current_step="device", device="android",
                     done_steps="", skipped_steps="", created_at=at, updated_at=at))


def new_message(app: Flask, pid: int, request_id: int | None, recipient: str, at: datetime,
                body: str = "Quelqu'un va vous contacter.", status: str = "sent") -> None:
    """An outbox message (issue 7's notifications), when they are part of this tree."""
    try:
        from service.notifications.models import OutboxMessage
    except ImportError:
        return
    with app.app_context(), db.transaction() as tx:
        tx.add(OutboxMessage(platform_id=pid, key=f"test:{pid}:{recipient}:{at.timestamp()}",
                             channel="sms", recipient=recipient, body=body,
                             ref=f"help_request:{request_id}:parent" if request_id else None,
                             status=status, attempts=1, next_attempt_at=at, created_at=at))


def new_volunteer(app: Flask, pid: int, user_id: str, first_name: str, phone: str) -> None:
    """A parent ressource's profile (issue 8), when volunteers are part of this tree."""
    try:
        from service.volunteers.models import Volunteer
    except ImportError:
        return
    with app.app_context(), db.transaction() as tx:
        tx.add(Volunteer(platform_id=pid, user_id=user_id, first_name=first_name,
                         phone=phone, consent_at=datetime.now(UTC), status="active"))


def every_row(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as plain tuples (the whole database)."""
    with app.app_context():
        session = db.session()
        return {table.name: sorted((tuple(r) for r in session.execute(select(table))), key=repr)
                for table in Base.metadata.sorted_tables}


def mentions(rows: dict[str, list[tuple[Any, ...]]], needles: Iterable[str]) -> list[str]:
    found = []
    for table, values in rows.items():
        for row in values:
            flat = " ".join(json.dumps(v, default=str, ensure_ascii=False) for v in row)
            for needle in needles:
                if needle in flat:
                    found.append(f"{table}: {needle!r} in {row}")
    return found


def set_retention(app: Flask, pid: int, days: int) -> None:
    from service.admin.models import PlatformSettings

    with app.app_context(), db.transaction() as tx:
        tx.add(PlatformSettings(platform_id=pid, retention_days=days, languages=""))


# --- the purge ---------------------------------------------------------------------------------


def test_purge_removes_exactly_what_is_past_retention(app: Flask, platform: FakePlatform) -> None:
    a = platform_id(app, platform)
    b = platform_id(app, register_other(app))
    set_retention(app, a, 30)  # b keeps the instance's 90 days
    school = add_school(app, a, "Collège Jean Moulin", contact_name="Mme Durand",
                        contact_phone="0472000000")
    day = timedelta(days=1)
    gone = {
        new_request(app, a, NOW - 31 * day, phone=None, first_name="Old"),
        new_request(app, b, NOW - 91 * day, user_id="b-parent", phone=None),
    }
    kept = {
        new_request(app, a, NOW - 29 * day, phone=None, school_id=school.id),
        new_request(app, b, NOW - 60 * day, user_id="b-parent", phone=None),
    }
    # Updated recently, created long ago: kept, but its number was promised gone after 90 days.
    old_number = new_request(app, b, NOW - 95 * day, user_id="b-parent-2")
    with app.test_request_context(), db.transaction() as tx:
        help_services.change_status(tx, tx.get(HelpRequest, old_number), "contacted",
                                    actor_kind="relay", now=NOW - 2 * day)
    new_progress(app, a, "parent-old", NOW - 31 * day)
    new_progress(app, a, "parent-recent", NOW - 10 * day)
    new_progress(app, b, "b-parent", NOW - 89 * day)
    new_message(app, a, None, "+33600000001", NOW - 31 * day)
    new_message(app, a, None, "+33600000002", NOW - 29 * day)
    new_volunteer(app, a, "volunteer-old", "Fatou", "+33600000003")
    with app.app_context(), db.transaction() as tx:
        from sqlalchemy import update

        try:
            from service.volunteers.models import Volunteer

            tx.execute(update(Volunteer).values(created_at=NOW - 400 * day,
                                                updated_at=NOW - 400 * day))
        except ImportError:
            pass
    with app.test_request_context(), db.transaction() as tx:
        audit.record(tx, a, "settings_changed", actor_kind="system", at=NOW - 400 * day)
    before = every_row(app)

    with app.test_request_context(), db.transaction() as tx:
        report = purge(tx, NOW)

    after = every_row(app)
    assert {r.platform: (r.help_requests, r.wizard_progress, r.phones) for r in report} == {
        platform.issuer: (1, 1, 0), "Autre plateforme": (1, 0, 1)}
    requests_after = {row[0] for row in after["help_request"]}
    assert requests_after == kept | {old_number}
    assert not gone & requests_after
    with app.app_context():
        number = db.session().get(HelpRequest, old_number)
        assert number.phone is None and number.consent_at is None
        progress = sorted(db.session().scalars(select(wizard_model().user_id)))
    assert progress == ["b-parent", "parent-recent"]
    # Nothing else changed: every other table is as it was, the trail of the kept requests
    # too (plus the line saying the number was erased), the audit log only grew.
    touched = {"help_request", "help_request_event", "help_assignment", "wizard_progress",
               "audit_entry", "outbox_message"}
    if "outbox_message" in after:
        assert [row[4] for row in after["outbox_message"]] == ["+33600000002"]
    for table in set(before) - touched:
        assert after[table] == before[table], table
    assert set(before["audit_entry"]) < set(after["audit_entry"])
    new_entries = set(after["audit_entry"]) - set(before["audit_entry"])
    assert len(new_entries) == 2  # one per platform that lost something
    assert all("retention_purge" in row for row in new_entries)
    kept_events = [e for e in before["help_request_event"] if e[1] in kept]
    assert set(kept_events) <= set(after["help_request_event"])

    # A second purge at the same time finds nothing more.
    with app.test_request_context(), db.transaction() as tx:
        assert not any(r.anything for r in purge(tx, NOW))


def test_the_purge_command(app: Flask, runner: Any, platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    new_request(app, pid, datetime.now(UTC) - timedelta(days=200), phone=None)
    new_request(app, pid, datetime.now(UTC), phone=None)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert f"{platform.issuer}: 1 help requests, 0 wizard progress, 0 class visits, " \
        "0 messages, 0 phone numbers" in result.output
    with app.app_context():
        assert len(db.session().scalars(select(HelpRequest)).all()) == 1
        assert db.session().get(MaintenanceRun, "purge") is not None


def test_the_purge_runs_by_itself_once_a_day(app: Flask, client: FlaskClient,
                                             platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    old = new_request(app, pid, datetime.now(UTC) - timedelta(days=200), phone=None)
    assert client.get("/lti/jwks").status_code == 200  # automatic purge is off under tests
    with app.app_context():
        assert db.session().get(HelpRequest, old) is not None

    app.config["AUTO_PURGE"] = True
    client.get("/lti/jwks")
    with app.app_context():
        assert db.session().get(HelpRequest, old) is None
        ran_at = db.session().get(MaintenanceRun, "purge").last_run_at

    # The same process does not ask again for ten minutes; another instance that asks is
    # refused until the day is over.
    old = new_request(app, pid, datetime.now(UTC) - timedelta(days=200), phone=None)
    client.get("/lti/jwks")
    with app.app_context():
        assert db.session().get(HelpRequest, old) is not None
    with app.test_request_context():
        assert automatic.claim() is False
        assert automatic.claim(datetime.now(UTC) + timedelta(days=1, minutes=1)) is True
        assert automatic.claim(datetime.now(UTC) + timedelta(days=1, minutes=2)) is False
    with app.app_context():
        assert db.session().get(MaintenanceRun, "purge").last_run_at != ran_at


# --- export and erasure ------------------------------------------------------------------------

MESSAGE = "Mon fils Yanis est en 6e B, je n'arrive pas à me connecter"


@pytest.fixture
def parent_data(app: Flask, platform: FakePlatform) -> dict[str, Any]:
    """Parent 'parent-1' (Awa) with two requests and wizard progress; another parent, and a
    parent with the same LTI id on another platform, who must keep theirs."""
    pid = platform_id(app, platform)
    other = platform_id(app, register_other(app))
    school = add_school(app, pid, "Collège Jean Moulin")
    mine = [new_request(app, pid, datetime.now(UTC) - timedelta(days=3), message=MESSAGE,
                        school_id=school.id),
            new_request(app, pid, datetime.now(UTC), phone=None)]
    new_progress(app, pid, "parent-1", datetime.now(UTC))
    theirs = [new_request(app, pid, datetime.now(UTC), user_id="parent-2", phone="+33699999999",
                          first_name="Inès"),
              new_request(app, other, datetime.now(UTC), user_id="parent-1", first_name="Awa")]
    new_progress(app, pid, "parent-2", datetime.now(UTC))
    new_progress(app, other, "parent-1", datetime.now(UTC))
    new_message(app, pid, mine[0], PHONE, datetime.now(UTC), body="Relais : Awa, on vous appelle")
    new_message(app, pid, theirs[0], "+33699999999", datetime.now(UTC))
    new_message(app, other, theirs[1], PHONE, datetime.now(UTC))
    new_volunteer(app, pid, "parent-1", "Awa", PHONE)
    new_volunteer(app, other, "parent-1", "Awa", PHONE)
    with app.app_context():
        codes = [db.session().get(HelpRequest, i).code for i in mine]
    return {"pid": pid, "other": other, "mine": mine, "theirs": theirs, "codes": codes}


def traces_of_parent_1(app: Flask, data: dict[str, Any]) -> list[str]:
    """Everything that could tie a row to parent-1 of the first platform."""
    with app.test_request_context():
        ref = audit.person_ref(data["pid"], "parent-1")
    rows = every_row(app)
    # The other platform's parent-1 (same LTI id, another person) keeps their rows.
    rows = {t: [r for r in v if data["other"] not in r or t in ("platform", "deployment")]
            for t, v in rows.items()}
    rows["help_request"] = [r for r in rows["help_request"] if r[0] not in data["theirs"]]
    rows["help_request_event"] = [r for r in rows["help_request_event"]
                                  if r[1] not in data["theirs"]]
    if "outbox_message" in rows:  # the other platform's message to the same number stays
        rows["outbox_message"] = [r for r in rows["outbox_message"] if r[1] != data["other"]]
    return mentions(rows, ["parent-1", PHONE, "612345678", MESSAGE, "Yanis", ref,
                           *data["codes"]])


def test_a_parent_exports_then_erases_everything_and_no_trace_is_left(
        app: Flask, launcher: LaunchHelper, parent_data: dict[str, Any]) -> None:
    parent = signed_in(app, launcher, "parent")
    page = parent.get("/confidentialite")
    checked(page)
    body = text(page)
    assert "2 demandes d'aide" in body and "votre progression dans le pas à pas" in body
    assert "90 jours après le dernier changement" in body

    export = parent.get("/confidentialite/mes-donnees.json")
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert "attachment" in export.headers["Content-Disposition"]
    assert export.headers["Cache-Control"] == "no-store"
    data = export.get_json()
    assert [r["phone"] for r in data["help_requests"]] == [PHONE, None]
    assert data["help_requests"][0]["message"] == MESSAGE
    assert data["help_requests"][0]["school"] == "Collège Jean Moulin"
    assert data["help_requests"][0]["history"][0]["what"] == "created"
    assert [p["device"] for p in data["wizard_progress"]] == ["android"]
    assert data["kept_for_days_after_last_change"] == 90
    if "outbox_message" in Base.metadata.tables:
        assert [(m["to"], m["text"]) for m in data["messages_sent_to_you"]] == [
            (PHONE, "Relais : Awa, on vous appelle")]
    if "volunteer" in Base.metadata.tables:
        assert [v["first_name"] for v in data["volunteer"]] == ["Awa"]
    exported = audit_of(app, parent_data["pid"], "personal_data_exported")
    assert [(e.actor_kind, e.actor_id, e.actor_name) for e in exported] == [("parent", None, "")]

    confirm = parent.get("/confidentialite/effacer")
    checked(confirm)
    assert "2 demandes d'aide" in text(confirm)
    erased = post(parent, "/confidentialite/effacer")
    assert erased.status_code == 200 and 'data-erased="yes"' in text(erased)

    assert traces_of_parent_1(app, parent_data) == []
    with app.app_context():
        left = set(db.session().scalars(select(HelpRequest.id)))
    assert left == set(parent_data["theirs"])
    [entry] = audit_of(app, parent_data["pid"], "personal_data_erased")
    assert entry.target == "person:erased"
    assert entry.detail.startswith("2 demande(s), 1 parcours, 1 visite(s) de classe")
    # They can go on using Relais; their page now says nothing is kept.
    assert "aucune demande d'aide" in text(parent.get("/confidentialite"))


def audit_of(app: Flask, pid: int, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEntry).where(
            AuditEntry.platform_id == pid, AuditEntry.action == action)))


def test_an_admin_exports_and_erases_one_person_of_their_platform_only(
        app: Flask, launcher: LaunchHelper, parent_data: dict[str, Any]) -> None:
    pid = parent_data["pid"]
    # A request left on the public page with the same number, without an LTI id.
    public = new_request(app, pid, datetime.now(UTC), user_id=None, origin="public",
                         first_name="A.")
    admin = signed_in(app, launcher, "admin")
    page = admin.get("/admin/donnees-personnelles")
    checked(page)

    export = post(admin, "/admin/donnees-personnelles",
                  {"user_id": "parent-1", "phone": "06 12 34 56 78", "action": "export"})
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert len(export.get_json()["help_requests"]) == 3  # two by id, one by number
    [entry] = audit_of(app, pid, "personal_data_exported")
    assert (entry.actor_kind, entry.actor_id) == ("admin", "admin-1")
    assert entry.target.startswith("person:") and "parent-1" not in entry.target

    unconfirmed = post(admin, "/admin/donnees-personnelles",
                       {"user_id": "parent-1", "phone": "0612345678", "action": "erase"})
    assert unconfirmed.status_code == 400 and "confirm" in field_errors(unconfirmed)
    assert error_of(unconfirmed) == "form_invalid"
    with app.app_context():
        assert db.session().get(HelpRequest, public) is not None

    erased = post(admin, "/admin/donnees-personnelles", {
        "user_id": "parent-1", "phone": "0612345678", "action": "erase", "confirm": "yes"})
    assert erased.status_code == 303
    assert "Effacé : 3 demande(s), 1 parcours" in text(admin.get(erased.headers["Location"]))
    assert traces_of_parent_1(app, parent_data) == []
    with app.app_context():
        left = set(db.session().scalars(select(HelpRequest.id)))
    assert left == set(parent_data["theirs"])  # the other platform's parent-1 included
    assert audit_of(app, pid, "personal_data_exported")[0].target == "person:erased"


def test_an_admin_erases_a_public_request_by_its_reference(
        app: Flask, launcher: LaunchHelper, platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    public = new_request(app, pid, datetime.now(UTC), user_id=None, origin="public")
    with app.app_context():
        code = db.session().get(HelpRequest, public).code
    admin = signed_in(app, launcher, "admin")
    typed = f"{code[:4].lower()} {code[4:]}"
    assert post(admin, "/admin/donnees-personnelles",
                {"code": typed, "action": "erase", "confirm": "yes"}).status_code == 303
    with app.app_context():
        assert db.session().get(HelpRequest, public) is None


@pytest.mark.parametrize(("form", "field"), [
    ({"action": "export"}, "user_id"),
    ({"code": "nope", "action": "export"}, "code"),
    ({"phone": "12", "action": "export"}, "phone"),
    ({"user_id": "x" * 300, "action": "export"}, "user_id"),
    ({"user_id": "parent-1", "action": "other"}, "user_id"),
])
def test_the_admin_person_form_refuses_what_it_cannot_use(
        app: Flask, launcher: LaunchHelper, parent_data: dict[str, Any], form: dict[str, str],
        field: str) -> None:
    admin = signed_in(app, launcher, "admin")
    before = every_row(app)
    response = post(admin, "/admin/donnees-personnelles", form)
    assert response.status_code == 400 and field in field_errors(response)
    assert every_row(app) == before


# --- the pages ---------------------------------------------------------------------------------


def test_the_public_privacy_page_uses_the_schools_platform_retention(
        app: Flask, client: FlaskClient, platform: FakePlatform) -> None:
    pid = platform_id(app, platform)
    set_retention(app, pid, 45)
    school = add_school(app, pid, "Collège Jean Moulin")
    page = client.get(f"/e/{school.slug}/confidentialite")
    checked(page)
    body = text(page)
    assert page.status_code == 200 and 'data-audience="public"' in body
    assert "45 jours après le dernier changement" in body
    assert 'href="/demande"' in body and "Télécharger" not in body
    assert client.get("/e/zzzzzzz/confidentialite").status_code == 404


def test_who_sees_the_privacy_pages(app: Flask, launcher: LaunchHelper) -> None:
    teacher = signed_in(app, launcher, "teacher")
    page = teacher.get("/confidentialite")
    assert page.status_code == 200 and "Télécharger mes données" not in text(page)
    assert teacher.get("/confidentialite/mes-donnees.json").status_code == 403
    learner = signed_in(app, launcher, "learner")
    for url in ("/confidentialite", "/confidentialite/effacer",
                "/confidentialite/mes-donnees.json"):
        response = learner.get(url)
        assert (response.status_code, error_of(response)) == (403, "forbidden"), url
    # Erasing is a POST with the form's token: a forged cross-site POST erases nothing.
    parent = signed_in(app, launcher, "parent")
    csrf(parent)
    forged = parent.post("/confidentialite/effacer", data={})
    assert (forged.status_code, error_of(forged)) == (400, "csrf_failed")


def test_school_rows_are_not_personal_data_of_parents(app: Flask, platform: FakePlatform) -> None:
    """Erasing a parent never touches the helpers' public contacts."""
    pid = platform_id(app, platform)
    add_school(app, pid, "Collège", contact_name="Mme Durand", contact_phone="0472000000")
    with app.test_request_context(), db.transaction() as tx:
        from service.privacy.services import erase

        erase(tx, Person(pid, user_id="parent-1"), who=None)
    with app.app_context():
        assert db.session().scalar(select(School.contact_name)) == "Mme Durand"
