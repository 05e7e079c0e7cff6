"""Retention, purge, one person's export and erasure.

What Relais keeps about a parent, and so what these functions reach:
- help requests (``help_request``: topic, first name, number with consent, message, status),
  with their trail and assignments (which go with the request);
- the wizard's progress (``wizard_progress``) and the classes they opened Relais from
  (``class_visit``, the teachers' count of families reached), when those features are part
  of the instance (``PERSONAL_ROWS``);
- the notifications' outbox: messages to their number, and about their requests;
- their volunteer profile, if they signed up as a parent ressource, with the relay it made and
  that relay's links (erased on request only, by ``service.volunteers.services.leave``: the
  requests the relay held go back to whoever else has them, else to the platform's admins);
- the audit log's pseudonyms of the person (rewritten on erasure).
Nothing else holds a parent's data: events count "J'y serai" without a name, relays and
schools are the helpers' public contacts.

``purge`` removes what is older than the platform's retention period (days after the last
change), and phone numbers past the date their consent promised; nothing else.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from service.admin.settings import retention_days
from service.directory.models import split_values
from service.help import codes as help_codes
from service.help.models import TARGET_RELAY, HelpAssignment, HelpRequest, HelpRequestEvent
from service.identity import Identity
from service.platforms.models import Platform
from service.privacy import audit
from service.privacy.models import as_utc, utcnow
from service.schools.models import School

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PersonalRows:
    """Rows of another feature that belong to one parent (by their LTI id), exported,
    erased and purged with their help requests. The model is imported lazily: a feature that
    is not part of the instance is skipped."""

    key: str  # the export's key
    module: str
    model: str
    updated: str  # the column compared with the retention cutoff
    fields: tuple[str, ...]  # what the export shows
    person: str = "user_id"
    purged: bool = True  # removed by the retention purge too (not only on request)
    # The feature's own way to erase one row and what hangs on it, as (module, function):
    # ``function(db, row, *, now) -> int`` in the caller's transaction (the int: requests
    # handed back to someone else). Without it, the row is deleted.
    erased_by: tuple[str, str] | None = None
    # More to export with each row: ``more(db, row) -> dict`` (what hangs on the row).
    more: Callable[[Session, Any], dict[str, Any]] | None = None

    def load(self) -> Any | None:
        return _model(self.module, self.model)

    def eraser(self) -> Callable[..., int] | None:
        return _model(*self.erased_by) if self.erased_by else None


def _model(module: str, name: str) -> Any | None:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _volunteer_relay(db: Session, volunteer: Any) -> dict[str, Any]:
    """The relay an approved volunteer became, and its links (never their tokens): the
    volunteer's data too, which ``leave`` erases with them."""
    from service.volunteers.services import relay_of

    relay = relay_of(db, volunteer)
    if relay is None:
        return {"relay": None}
    found: dict[str, Any] = {
        "kind": relay.kind, "name": relay.name, "phone": relay.phone or None,
        "email": relay.email or None, "languages": split_values(relay.languages),
        "summary": relay.summary, "active": relay.active, "updated_at": _when(relay.updated_at),
        # How many requests they hold now; the requests are other parents' data.
        "requests_held": db.scalar(select(func.count()).select_from(HelpAssignment).where(
            HelpAssignment.platform_id == relay.platform_id,
            HelpAssignment.target == TARGET_RELAY, HelpAssignment.relay_id == relay.id,
            HelpAssignment.ended_at.is_(None))) or 0,
    }
    access = _model("service.relays.models", "RelayAccess")
    if access is not None:
        found["links"] = [
            {"kind": a.kind, "created_at": _when(a.created_at), "expires_at": _when(a.expires_at),
             "revoked_at": _when(a.revoked_at), "last_used_at": _when(a.last_used_at)}
            for a in db.scalars(select(access).where(access.platform_id == relay.platform_id,
                                                     access.relay_id == relay.id)
                                .order_by(access.id))]
    return {"relay": found}


PERSONAL_ROWS = (
    # The wizard's progress: answers and step names, nothing typed by the parent.
    PersonalRows("wizard_progress", "service.onboarding.models", "WizardProgress", "updated_at",
                 ("current_step", "device", "email_choice", "done_steps", "skipped_steps",
                  "created_at", "updated_at")),
    # A parent opened Relais from a class (the teacher's count of families reached).
    PersonalRows("class_visits", "service.teachers.models", "ClassVisit", "first_seen",
                 ("class_id", "children_ids", "first_seen")),
    # A parent who volunteers as a parent ressource: erased on request, never by age (an
    # active volunteer's profile does not expire). Erasing them is their leaving: their
    # relay, its links and routing go too, and what they held goes back to someone else.
    PersonalRows("volunteer", "service.volunteers.models", "Volunteer", "updated_at",
                 ("first_name", "languages", "moments", "at_ease", "phone", "consent_at",
                  "status", "created_at", "approved_at", "updated_at"), purged=False,
                 erased_by=("service.volunteers.services", "leave"), more=_volunteer_relay),
)
# The notifications' outbox: an SMS to a parent holds their number and what it said; every
# message about a request names it in ``ref`` ("help_request:<id>:...").
OUTBOX = ("service.notifications.models", "OutboxMessage")


@dataclass(frozen=True, slots=True)
class Person:
    """Whose data: an LTI user of the platform, and/or a phone number (E.164) or one request's
    reference code (a parent who asked on a public page has no LTI id)."""

    platform_id: int
    user_id: str | None = None
    phone: str | None = None
    code: str | None = None

    @property
    def ref(self) -> str:
        """The audit log's pseudonym of this person."""
        key = self.user_id or (f"phone:{self.phone}" if self.phone else f"code:{self.code}")
        return audit.person_ref(self.platform_id, key)

    @property
    def empty(self) -> bool:
        return not (self.user_id or self.phone or self.code)


def _requests_of(db: Session, person: Person) -> list[HelpRequest]:
    if person.empty:
        return []
    match = []
    if person.user_id:
        match.append(HelpRequest.user_id == person.user_id)
    if person.phone:
        match.append(HelpRequest.phone == person.phone)
    if person.code:
        code = help_codes.normalise(person.code)
        if code:
            match.append(HelpRequest.code == code)
    if not match:
        return []
    return list(db.scalars(select(HelpRequest).where(
        HelpRequest.platform_id == person.platform_id, or_(*match)).order_by(HelpRequest.id)))


def _rows_of(db: Session, person: Person) -> dict[str, list[Any]]:
    """The person's rows of every other feature, by export key (LTI users only)."""
    found: dict[str, list[Any]] = {}
    for kind in PERSONAL_ROWS:
        model = kind.load()
        if model is None:
            continue
        found[kind.key] = [] if not person.user_id else list(db.scalars(select(model).where(
            model.platform_id == person.platform_id,
            getattr(model, kind.person) == person.user_id)))
    return found


def _when(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _request_data(db: Session, request: HelpRequest) -> dict[str, Any]:
    school = db.get(School, request.school_id) if request.school_id else None
    return {
        "reference": help_codes.display(request.code),
        "created_at": _when(request.created_at),
        "updated_at": _when(request.updated_at),
        "made_in": request.origin,
        "school": school.name if school else None,
        "class_id": request.class_id,
        "topic": request.topic,
        "wizard_step": request.step,
        "device": request.device,
        "channel": request.channel,
        "language": request.language,
        "moments": request.moment_list,
        "first_name": request.first_name,
        "phone": request.phone,
        "consent_given_at": _when(request.consent_at),
        "phone_erased_by": _when(request.phone_erase_at),
        "message": request.message,
        "status": request.status,
        "history": [
            {"at": _when(e.at), "what": e.kind, "from": e.from_status, "to": e.to_status,
             "by": e.actor_kind}
            for e in request.events
        ],
        "handled_by": [
            {"kind": a.target, "relay_id": a.relay_id, "since": _when(a.assigned_at),
             "until": _when(a.ended_at)}
            for a in request.assignments
        ],
    }


def _row_data(db: Session, row: Any, kind: PersonalRows) -> dict[str, Any]:
    values = {}
    for name in kind.fields:
        value = getattr(row, name)
        values[name] = _when(value) if isinstance(value, datetime) else value
    if kind.more is not None:
        values.update(kind.more(db, row))
    return values


def export(db: Session, person: Person, *, who: Identity | None,
           now: datetime | None = None) -> dict[str, Any]:
    """Everything Relais keeps about ``person`` on their platform, as JSON-ready data; the
    export is written to the audit log (in the caller's transaction)."""
    now = now or utcnow()
    platform = db.get(Platform, person.platform_id)
    requests = _requests_of(db, person)
    others = _rows_of(db, person)
    audit.record(db, person.platform_id, "personal_data_exported", who=who,
                 actor_kind=None if who else "system", target=person.ref,
                 detail=_summary(len(requests), others), at=now)
    kinds = {k.key: k for k in PERSONAL_ROWS}
    return {
        "exported_at": now.isoformat(),
        "platform": platform.name if platform else None,
        "kept_for_days_after_last_change": retention_days(db, person.platform_id),
        "help_requests": [_request_data(db, r) for r in requests],
        **{key: [_row_data(db, r, kinds[key]) for r in rows] for key, rows in others.items()},
        "messages_sent_to_you": [
            {"channel": m.channel, "to": m.recipient, "text": m.body, "status": m.status,
             "queued_at": _when(m.created_at), "sent_at": _when(m.sent_at)}
            for m in _messages_to(db, person, requests)
        ],
    }


def _messages_to(db: Session, person: Person, requests: list[HelpRequest]) -> list[Any]:
    """Outbox messages sent to this person: to their number, or about their requests."""
    model = _model(*OUTBOX)
    if model is None:
        return []
    phones = {p for p in [person.phone, *(r.phone for r in requests)] if p}
    refs = [f"help_request:{r.id}:parent" for r in requests]
    if not (phones or refs):
        return []
    return list(db.scalars(select(model).where(
        model.platform_id == person.platform_id,
        or_(model.recipient.in_(phones), model.ref.in_(refs))).order_by(model.id)))


def _forget_messages(db: Session, person: Person, requests: list[HelpRequest]) -> int:
    """Remove the outbox messages to this person and every message about their requests."""
    model = _model(*OUTBOX)
    if model is None:
        return 0
    phones = {p for p in [person.phone, *(r.phone for r in requests)] if p}
    about = [model.ref.like(f"help_request:{r.id}:%") for r in requests]
    if not (phones or about):
        return 0
    gone = db.execute(delete(model).where(
        model.platform_id == person.platform_id,
        or_(model.recipient.in_(phones), *about)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def _summary(requests: int, others: dict[str, list[Any]]) -> str:
    return (f"{requests} demande(s), {len(others.get('wizard_progress', []))} parcours, "
            f"{len(others.get('class_visits', []))} visite(s) de classe")


@dataclass(frozen=True, slots=True)
class Erased:
    help_requests: int
    wizard_progress: int
    class_visits: int
    audit_entries: int
    volunteer: int = 0
    messages: int = 0
    handed_back: int = 0  # requests their relay held, back with someone else or the admins

    def __str__(self) -> str:
        said = (f"{self.help_requests} demande(s), {self.wizard_progress} parcours, "
                f"{self.class_visits} visite(s) de classe, ")
        if self.volunteer:
            said += "sa fiche de parent ressource, "
            if self.handed_back:
                said += f"{self.handed_back} demande(s) suivie(s) rendue(s) à l'établissement, "
        if self.messages:
            said += f"{self.messages} message(s) envoyé(s), "
        return said + f"{self.audit_entries} ligne(s) du journal anonymisée(s)"


def erase(db: Session, person: Person, *, who: Identity | None,
          now: datetime | None = None) -> Erased:
    """Remove everything about ``person`` in the caller's transaction: their requests (with
    trail and assignments), their wizard progress, their volunteer profile (they leave, with
    their relay: ``service.volunteers.services.leave``), their id in other requests' trails;
    the audit log keeps that an erasure happened, never whose."""
    now = now or utcnow()
    requests = _requests_of(db, person)
    others = _rows_of(db, person)
    messages = _forget_messages(db, person, requests)
    for request in requests:
        db.delete(request)
    erasers: list[tuple[Callable[..., int], Any]] = []
    for kind in PERSONAL_ROWS:
        eraser = kind.eraser()
        for row in others.get(kind.key, []):
            if eraser is None:
                db.delete(row)
            else:
                erasers.append((eraser, row))
    # Their own requests are gone first: nothing of theirs is handed back to anyone.
    db.flush()
    handed_back = sum(eraser(db, row, now=now) for eraser, row in erasers)
    anonymised = 0
    if person.user_id:
        db.execute(update(HelpRequestEvent)
                   .where(HelpRequestEvent.platform_id == person.platform_id,
                          HelpRequestEvent.actor_id == person.user_id)
                   .values(actor_id=None))
        anonymised = audit.forget_person(db, person.platform_id, person.user_id)
    for key in _other_keys(person):
        anonymised += _forget_ref(db, person.platform_id, audit.person_ref(person.platform_id,
                                                                            key))
    result = Erased(len(requests), len(others.get("wizard_progress", [])),
                    len(others.get("class_visits", [])), anonymised,
                    len(others.get("volunteer", [])), messages, handed_back)
    db.flush()
    audit.record(db, person.platform_id, "personal_data_erased", who=who,
                 actor_kind=None if who else "system", target=audit.ERASED, detail=str(result),
                 at=now)
    return result


def _other_keys(person: Person) -> Iterator[str]:
    if person.phone:
        yield f"phone:{person.phone}"
    if person.code:
        yield f"code:{person.code}"


def _forget_ref(db: Session, platform_id: int, ref: str) -> int:
    from service.privacy.models import AuditEntry

    done = db.execute(update(AuditEntry).where(AuditEntry.platform_id == platform_id,
                                               AuditEntry.target == ref)
                      .values(target=audit.ERASED))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def counts(db: Session, person: Person) -> dict[str, int]:
    """How many things Relais keeps about ``person`` (shown to them, never to anyone else)."""
    others = _rows_of(db, person)
    return {"help_requests": len(_requests_of(db, person)),
            **{key: len(rows) for key, rows in others.items()}}


# --- the purge ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Purged:
    platform: str
    help_requests: int
    wizard_progress: int
    phones: int
    class_visits: int = 0
    messages: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.help_requests or self.wizard_progress or self.phones
                    or self.class_visits or self.messages)


def purge(db: Session, now: datetime | None = None) -> list[Purged]:
    """Remove, on every platform, the help requests and wizard progress unchanged for longer
    than the platform's retention period, and every phone number past the date its consent
    promised. Runs in the caller's transaction; each platform that lost something gets an
    audit entry. Returns what was removed, per platform."""
    now = now or utcnow()
    from service.help.services import erase_expired_phones

    phones_by_platform: dict[int, int] = {}
    expired = db.execute(select(HelpRequest.platform_id, func.count()).where(
        HelpRequest.phone_erase_at.is_not(None), HelpRequest.phone_erase_at <= now)
        .group_by(HelpRequest.platform_id)).all()
    for platform_id, count in expired:
        phones_by_platform[platform_id] = int(count)
    erase_expired_phones(db, now)
    models = [(kind, kind.load()) for kind in PERSONAL_ROWS]
    report = []
    for platform_id, name in db.execute(select(Platform.id, Platform.name).order_by(Platform.id)):
        cutoff = now - timedelta(days=retention_days(db, platform_id))
        requests = db.execute(delete(HelpRequest).where(
            HelpRequest.platform_id == platform_id, HelpRequest.updated_at < cutoff))
        removed: dict[str, int] = {}
        for kind, model in models:
            if model is not None and kind.purged:
                gone = db.execute(delete(model).where(model.platform_id == platform_id,
                                                      getattr(model, kind.updated) < cutoff))
                removed[kind.key] = int(gone.rowcount or 0)  # type: ignore[attr-defined]
        outbox = _model(*OUTBOX)
        if outbox is not None:
            # Messages live no longer than what they are about.
            gone = db.execute(delete(outbox).where(outbox.platform_id == platform_id,
                                                   outbox.created_at < cutoff))
            removed["messages"] = int(gone.rowcount or 0)  # type: ignore[attr-defined]
        done = Purged(name, int(requests.rowcount or 0),  # type: ignore[attr-defined]
                      removed.get("wizard_progress", 0), phones_by_platform.get(platform_id, 0),
                      removed.get("class_visits", 0), removed.get("messages", 0))
        if done.anything:
            audit.record(db, platform_id, "retention_purge", actor_kind="system", at=now,
                         detail=f"{done.help_requests} demande(s), {done.wizard_progress} "
                                f"parcours, {done.class_visits} visite(s) de classe, "
                                f"{done.messages} message(s), {done.phones} numéro(s)")
        report.append(done)
    db.expire_all()  # bulk deletes: nothing stale may be read after
    return report
