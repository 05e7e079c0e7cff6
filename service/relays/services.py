"""The inbox of a relay: the requests routed to them, and what they can do with one.

A relay sees a request only while an assignment of the same platform names them
(``HelpAssignment``: target relay, not ended). Everything a relay does leaves a line in the
request's trail: status changes through ``service.help.services.change_status``; taking,
handing over and referring as trail lines of their own (``taken``, ``assigned`` /
``unassigned``, ``referred``), with the relay as actor. Notes are kept apart from the trail
(they are free text, and the trail holds none) and are never shown to the parent.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from service.directory.models import Relay
from service.help import services as help_services
from service.help.models import (
    OPEN_STATUSES,
    TARGET_RELAY,
    TRANSITIONS,
    HelpAssignment,
    HelpRequest,
    HelpRequestEvent,
)
from service.relays import notify
from service.relays.models import RelayAccess, RelayNote, utcnow

# What a relay may set; ``cancelled`` is the parent's own decision.
RELAY_STATUSES = ("contacted", "resolved", "closed")
# Where a relay sends a parent when something must be done on the parent's behalf.
REFERRALS = ("aidants_connect", "france_services")
INBOX_LIMIT = 200

WIZARD_CONTENT = Path(__file__).resolve().parent.parent / "content" / "wizard"
_STEP = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _routed(relay: Relay) -> object:
    """The condition "routed to this relay, on this relay's platform, now"."""
    return (
        select(HelpAssignment.request_id)
        .where(
            HelpAssignment.platform_id == relay.platform_id,
            HelpAssignment.target == TARGET_RELAY,
            HelpAssignment.relay_id == relay.id,
            HelpAssignment.ended_at.is_(None),
        )
    )


def inbox(db: Session, relay: Relay) -> list[HelpRequest]:
    """The requests routed to ``relay``: open ones first, newest first."""
    still_open = case((HelpRequest.status.in_(OPEN_STATUSES), 0), else_=1)
    return list(db.scalars(
        select(HelpRequest)
        .where(HelpRequest.platform_id == relay.platform_id,
               HelpRequest.id.in_(_routed(relay)))  # type: ignore[arg-type]
        .order_by(still_open, HelpRequest.created_at.desc(), HelpRequest.id.desc())
        .limit(INBOX_LIMIT)
    ))


def routed_request(db: Session, relay: Relay, request_id: int) -> HelpRequest | None:
    """The request with this id if it is routed to ``relay``; None otherwise (the same None
    as for a request that does not exist)."""
    return db.scalar(
        select(HelpRequest).where(
            HelpRequest.id == request_id,
            HelpRequest.platform_id == relay.platform_id,
            HelpRequest.id.in_(_routed(relay)),  # type: ignore[arg-type]
        )
    )


def taken_by(request: HelpRequest) -> int | None:
    """The relay who took the request, while it is still with them."""
    taken = [e for e in request.events if e.kind == "taken"]
    if not taken:
        return None
    relay_id = taken[-1].relay_id
    holding = any(a.relay_id == relay_id for a in request.active_assignments
                  if a.target == TARGET_RELAY)
    return relay_id if holding else None


def _trail(request: HelpRequest, relay: Relay, kind: str, now: datetime, *,
           relay_id: int | None = None, target: str | None = None) -> None:
    request.events.append(HelpRequestEvent(
        platform_id=request.platform_id, at=now, kind=kind, actor_kind="relay",
        actor_id=str(relay.id), relay_id=relay_id, target=target,
    ))


def _end(request: HelpRequest, assignment: HelpAssignment, relay: Relay,
         now: datetime) -> None:
    assignment.ended_at = now
    _trail(request, relay, "unassigned", now, relay_id=assignment.relay_id, target=TARGET_RELAY)


def take(db: Session, request: HelpRequest, relay: Relay, *,
         now: datetime | None = None) -> bool:
    """``relay`` takes the request: the other relays it was routed to no longer see it.
    False when it was already theirs."""
    if taken_by(request) == relay.id:
        return False
    now = now or utcnow()
    for assignment in request.active_assignments:
        if assignment.target == TARGET_RELAY and assignment.relay_id != relay.id:
            _end(request, assignment, relay, now)
    _trail(request, relay, "taken", now, relay_id=relay.id)
    request.updated_at = now
    return True


def next_statuses(request: HelpRequest) -> list[str]:
    allowed = TRANSITIONS.get(request.status, frozenset())
    return [s for s in RELAY_STATUSES if s in allowed]


def set_status(db: Session, request: HelpRequest, relay: Relay, to: str, *,
               now: datetime | None = None) -> None:
    """Move the request on (the parent sees it on their status page, and by SMS if they
    asked); taking it first if it was not yet. Raises ``ValueError`` for a move a relay may
    not make."""
    if to not in next_statuses(request):
        raise ValueError(f"a relay cannot move a request from {request.status} to {to}")
    now = now or utcnow()
    take(db, request, relay, now=now)
    help_services.change_status(db, request, to, actor_kind="relay", actor_id=str(relay.id),
                                now=now)


def add_note(db: Session, request: HelpRequest, relay: Relay, body: str, *,
             now: datetime | None = None) -> RelayNote:
    note = RelayNote(platform_id=request.platform_id, request_id=request.id,
                     relay_id=relay.id, body=body, created_at=now or utcnow())
    db.add(note)
    return note


def notes(db: Session, request: HelpRequest) -> list[RelayNote]:
    return list(db.scalars(
        select(RelayNote)
        .where(RelayNote.platform_id == request.platform_id,
               RelayNote.request_id == request.id)
        .order_by(RelayNote.created_at, RelayNote.id)
    ))


def candidates(db: Session, relay: Relay, *, now: datetime | None = None) -> list[Relay]:
    """Who ``relay`` can hand a request to: the platform's other active relays that have a
    valid personal link (someone who could not open an inbox could not pick it up)."""
    now = now or utcnow()
    with_access = (
        select(RelayAccess.relay_id)
        .where(RelayAccess.platform_id == relay.platform_id, RelayAccess.kind == "personal",
               RelayAccess.revoked_at.is_(None), RelayAccess.expires_at > now)
    )
    return list(db.scalars(
        select(Relay)
        .where(Relay.platform_id == relay.platform_id, Relay.id != relay.id,
               Relay.active.is_(True), Relay.id.in_(with_access))
        .order_by(Relay.name, Relay.id)
    ))


def hand_over(db: Session, request: HelpRequest, relay: Relay, to: Relay, *,
              now: datetime | None = None) -> HelpAssignment:
    """Give the request to ``to`` (a relay of ``candidates``): ``relay`` stops seeing it and
    ``to`` is told. Raises ``ValueError`` when ``to`` is not a candidate."""
    now = now or utcnow()
    if to.id not in {r.id for r in candidates(db, relay, now=now)}:
        raise ValueError("not a relay this request can be handed to")
    given: HelpAssignment | None = None
    for assignment in request.active_assignments:
        if assignment.target != TARGET_RELAY:
            continue
        if assignment.relay_id == relay.id:
            _end(request, assignment, relay, now)
        elif assignment.relay_id == to.id:
            given = assignment  # already theirs too: it stays, and they are told again
    if given is None:
        given = HelpAssignment(platform_id=request.platform_id, target=TARGET_RELAY,
                               relay_id=to.id, assigned_at=now)
        request.assignments.append(given)
    _trail(request, relay, "assigned", now, relay_id=to.id, target=TARGET_RELAY)
    request.updated_at = now
    db.flush()
    notify.tell_relay(db, request, to, reason=f"handed-{request.events[-1].id}", now=now)
    return given


def refer(db: Session, request: HelpRequest, relay: Relay, to: str, *,
          now: datetime | None = None) -> None:
    """Record that the relay sent the parent to an authorised professional (``REFERRALS``)
    for what must be done on the parent's behalf."""
    if to not in REFERRALS:
        raise ValueError(f"refer to one of {REFERRALS}")
    now = now or utcnow()
    _trail(request, relay, "referred", now, target=to)
    request.updated_at = now


def referred_to(request: HelpRequest) -> list[str]:
    return list(dict.fromkeys(e.target for e in request.events
                              if e.kind == "referred" and e.target))


@lru_cache(maxsize=256)
def step_title(step: str, locale: str = "fr") -> str | None:
    """The wizard step's title as the parent saw it (from its content file), or None."""
    if not _STEP.match(step):
        return None
    for folder in (locale, "fr"):
        path = WIZARD_CONTENT / folder / f"{step}.md"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        if lines[:1] == ["---"]:
            for line in lines[1:]:
                if line == "---":
                    break
                if line.startswith("title:"):
                    return line.partition(":")[2].strip().strip("\"'") or None
    return None
