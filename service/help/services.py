"""Help requests: create one (routed, in one transaction), find it again by its code, and let
the parent cancel it or erase their number. The relays' inbox builds on ``change_status``.

Who may see a request: inside the ENT, only the same platform, and for a request made in the
ENT only the same person; outside any session, only requests made on a public page, by code.
Every "no" looks the same as "no such code", so nothing can be enumerated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.help import codes, routing
from service.help.models import (
    CHANNELS,
    FIRST_NAME_MAX,
    MESSAGE_MAX,
    MOMENTS,
    OPEN_STATUSES,
    ORIGINS,
    TRANSITIONS,
    HelpRequest,
    HelpRequestEvent,
    utcnow,
)
from service.identity import Identity
from service.topics import TOPICS

# What the parent reads on the status page.
STATUS_LABELS: dict[str, object] = {
    "new": _l("Reçu"),
    "contacted": _l("Quelqu'un va vous contacter"),
    "resolved": _l("Terminé"),
    "closed": _l("Terminé"),
    "cancelled": _l("Annulée"),
}
MOMENT_LABELS: dict[str, object] = {
    "morning": _l("Le matin"),
    "midday": _l("Le midi"),
    "afternoon": _l("L'après-midi"),
    "evening": _l("Le soir"),
    "saturday": _l("Le samedi"),
}
CHANNEL_LABELS: dict[str, object] = {
    "callback": _l("Être rappelé"),
    "in_person": _l("Voir quelqu'un"),
    "at_event": _l("Venir à un rendez-vous"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, STATUS_LABELS["new"]))


@dataclass(frozen=True, slots=True)
class NewRequest:
    """What a help request is made of. ``phone`` is E.164 and is only accepted with
    ``consent=True``; ``step`` and ``device`` come from the wizard's "Je bloque ici"."""

    platform_id: int
    origin: str  # "ent" | "public"
    topic: str
    language: str
    channel: str = "callback"
    phone: str | None = None
    consent: bool = False
    moments: tuple[str, ...] = ()
    first_name: str = ""
    message: str = ""
    school_id: int | None = None
    class_id: str | None = None
    user_id: str | None = None
    step: str | None = None
    device: str | None = None
    sms_updates: bool = False  # news by SMS; needs ``phone``


def _check(new: NewRequest) -> None:
    if new.origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}")
    if new.channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    if new.topic not in TOPICS:
        raise ValueError(f"unknown topic {new.topic!r}")
    if any(m not in MOMENTS for m in new.moments):
        raise ValueError(f"moments must be among {MOMENTS}")
    if len(new.first_name) > FIRST_NAME_MAX or len(new.message) > MESSAGE_MAX:
        raise ValueError("first name or message too long")
    if new.phone is not None:
        if not new.consent:
            raise ValueError("a phone number is stored only with the parent's consent")
        if not (new.phone.startswith("+") and new.phone[1:].isdigit() and len(new.phone) <= 16):
            raise ValueError("phone must be E.164")
    if new.channel == "callback" and new.phone is None:
        raise ValueError("a callback needs a phone number")


def _unused_code(db: Session) -> str:
    for _ in range(10):
        code = codes.new_code()
        if db.scalar(select(HelpRequest.id).where(HelpRequest.code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused reference code")  # ~never: 30^8 codes


def create_request(db: Session, new: NewRequest, *, now: datetime | None = None) -> HelpRequest:
    """Store a request with its code, route it and write its trail, in the caller's transaction
    (``with service.db.transaction() as tx: create_request(tx, ...)``): all of it or nothing.

    Raises ``ValueError`` when ``new`` breaks a rule the forms already enforce (a phone number
    without consent, an unknown topic...): callers validate input with the schemas first.
    """
    _check(new)
    now = now or utcnow()
    retention = timedelta(days=int(current_app.config["RETENTION_DAYS"]))
    request = HelpRequest(
        platform_id=new.platform_id,
        school_id=new.school_id,
        class_id=new.class_id,
        user_id=new.user_id,
        origin=new.origin,
        code=_unused_code(db),
        topic=new.topic,
        step=new.step,
        device=new.device,
        channel=new.channel,
        language=new.language,
        moments=",".join(m for m in MOMENTS if m in new.moments),
        first_name=new.first_name,
        message=new.message,
        phone=new.phone,
        sms_updates=new.sms_updates and new.phone is not None,
        consent_at=now if new.phone else None,
        phone_erase_at=now + retention if new.phone else None,
        status="new",
        created_at=now,
        updated_at=now,
    )
    db.add(request)
    request.events.append(
        HelpRequestEvent(
            platform_id=new.platform_id,
            at=now,
            kind="created",
            to_status="new",
            actor_kind="parent",
            actor_id=new.user_id,
        )
    )
    db.flush()
    routing.assign(db, request, now=now)
    db.flush()
    _announce(db, request, request.events[0])
    return request


def find_request(db: Session, typed_code: str, who: Identity | None) -> HelpRequest | None:
    """The request this person may open with this code, or ``None`` — the same ``None`` for a
    malformed code, an unknown one, or one that is not theirs to see."""
    code = codes.normalise(typed_code)
    if code is None:
        return None
    request = db.scalar(select(HelpRequest).where(HelpRequest.code == code))
    if request is None:
        return None
    if who is None:
        return request if request.origin == "public" else None
    if request.platform_id != who.platform_id:
        return None
    if request.origin == "public":
        return request
    same_person = who.user_id is not None and request.user_id == who.user_id
    return request if same_person else None


def requests_of(db: Session, who: Identity, limit: int = 20) -> list[HelpRequest]:
    """The requests this person made inside the ENT, newest first."""
    if who.user_id is None:
        return []
    return list(
        db.scalars(
            select(HelpRequest)
            .where(
                HelpRequest.platform_id == who.platform_id,
                HelpRequest.user_id == who.user_id,
                HelpRequest.origin == "ent",
            )
            .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
            .limit(limit)
        )
    )


def _event(request: HelpRequest, kind: str, actor_kind: str, actor_id: str | None,
           now: datetime, **fields: object) -> None:
    request.events.append(
        HelpRequestEvent(
            platform_id=request.platform_id,
            at=now,
            kind=kind,
            actor_kind=actor_kind,
            actor_id=actor_id,
            **fields,
        )
    )


def _announce(db: Session, request: HelpRequest, event: HelpRequestEvent) -> None:
    """Tell the app's listeners (the relays' notifications register one) about a new request,
    a status change or an erased number, in the caller's transaction: what they write (outbox
    messages) is committed with the change, or not at all."""
    for listener in current_app.extensions.get("help_listeners", ()):
        listener(db, request, event)


def change_status(db: Session, request: HelpRequest, to: str, *, actor_kind: str,
                  actor_id: str | None = None, now: datetime | None = None) -> None:
    """Move a request along ``new → contacted → resolved / closed`` (or ``cancelled``), with a
    trail entry. Raises ``ValueError`` for a move the lifecycle does not allow."""
    if to not in TRANSITIONS.get(request.status, frozenset()):
        raise ValueError(f"cannot go from {request.status} to {to}")
    now = now or utcnow()
    _event(request, "status", actor_kind, actor_id, now, from_status=request.status, to_status=to)
    request.status = to
    request.updated_at = now
    _announce(db, request, request.events[-1])


def erase_phone(db: Session, request: HelpRequest, *, actor_kind: str,
                actor_id: str | None = None, now: datetime | None = None) -> bool:
    """Forget the number and the consent now; the trail records that it happened, never the
    number. False when there was no number."""
    if request.phone is None and request.consent_at is None:
        return False
    now = now or utcnow()
    request.phone = None
    request.consent_at = None
    request.phone_erase_at = None
    request.updated_at = now
    _event(request, "phone_erased", actor_kind, actor_id, now)
    _announce(db, request, request.events[-1])
    return True


def cancel(db: Session, request: HelpRequest, *, actor_kind: str = "parent",
           actor_id: str | None = None, now: datetime | None = None) -> bool:
    """The parent's own "Annuler ma demande": nobody will call, so the number goes too.
    False when the request was already finished or cancelled."""
    if request.status not in OPEN_STATUSES:
        return False
    now = now or utcnow()
    change_status(db, request, "cancelled", actor_kind=actor_kind, actor_id=actor_id, now=now)
    erase_phone(db, request, actor_kind=actor_kind, actor_id=actor_id, now=now)
    return True


def erase_expired_phones(db: Session, now: datetime | None = None) -> int:
    """Erase every number whose retention date has passed (the promise of the consent
    sentence); returns how many. Run daily by ``relais requests purge``."""
    now = now or utcnow()
    expired = db.scalars(
        select(HelpRequest).where(
            HelpRequest.phone_erase_at.is_not(None), HelpRequest.phone_erase_at <= now
        )
    ).all()
    for request in expired:
        erase_phone(db, request, actor_kind="system", now=now)
    return len(expired)
