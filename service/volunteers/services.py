"""A parent becomes a parent ressource, pauses, comes back, and leaves with their data.

- ``sign_up``: a parent of the ENT offers to help (``pending``).
- ``approve``: the admin says yes. In one transaction the volunteer becomes a relay of kind
  ``parent_ressource`` (never offered on public pages: a private person's number is no public
  contact), requests on the topics the admin ticked are routed to them, and their personal
  inbox link is made (``service.relays``, when installed). ``decline`` erases an offer.
- ``pause`` / ``resume``: while paused, routing sends them nothing new (``Relay.active``).
- ``leave``: everything personal of theirs goes, in one transaction: their offer, their
  relay, their links, the messages waiting for them; the requests they held go back to the
  platform's admins, the trail keeps what was done but not by whom.

Every function takes the caller's session and works in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.directory.models import Relay, join_values, split_values
from service.help.models import (
    TARGET_RELAY,
    HelpAssignment,
    HelpRequestEvent,
    RoutingRule,
)
from service.help.routing import RuleInput, add_rule
from service.volunteers.models import Volunteer, utcnow

KIND = "parent_ressource"


class VolunteerError(ValueError):
    """What cannot be done now: ``code`` is ``already_signed_up``, ``not_pending``,
    ``not_active`` or ``not_paused``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Approved:
    volunteer: Volunteer
    relay: Relay
    token: str | None  # the inbox link's token, shown once; None without the relays' inbox


def of_user(db: Session, platform_id: int, user_id: str) -> Volunteer | None:
    return db.scalar(select(Volunteer).where(Volunteer.platform_id == platform_id,
                                             Volunteer.user_id == user_id))


def of_relay(db: Session, platform_id: int, relay_id: int) -> Volunteer | None:
    return db.scalar(select(Volunteer).where(Volunteer.platform_id == platform_id,
                                             Volunteer.relay_id == relay_id))


def get(db: Session, platform_id: int, volunteer_id: int) -> Volunteer | None:
    """The platform's volunteer with this id (another platform's is None, like none)."""
    found = db.get(Volunteer, volunteer_id)
    return found if found is not None and found.platform_id == platform_id else None


def relay_of(db: Session, volunteer: Volunteer) -> Relay | None:
    if volunteer.relay_id is None:
        return None
    relay = db.get(Relay, volunteer.relay_id)
    return relay if relay is not None and relay.platform_id == volunteer.platform_id else None


def listing(db: Session, platform_id: int) -> dict[str, list[Volunteer]]:
    """The platform's volunteers by status: offers first in, first shown."""
    found: dict[str, list[Volunteer]] = {"pending": [], "active": [], "paused": []}
    for volunteer in db.scalars(select(Volunteer).where(Volunteer.platform_id == platform_id)
                                .order_by(Volunteer.created_at, Volunteer.id)):
        found[volunteer.status].append(volunteer)
    return found


def sign_up(db: Session, platform_id: int, user_id: str, data: Mapping[str, Any], *,
            now: datetime | None = None) -> Volunteer:
    """Store a parent's offer (``data`` from ``SignUpSchema``). Raises ``VolunteerError``
    (``already_signed_up``) when this parent already offered."""
    if of_user(db, platform_id, user_id) is not None:
        raise VolunteerError("already_signed_up")
    now = now or utcnow()
    volunteer = Volunteer(
        platform_id=platform_id, user_id=user_id, first_name=data["first_name"],
        languages=join_values(data["languages"]), moments=join_values(data["moments"]),
        at_ease=join_values(data["at_ease"]), phone=data.get("phone") or None,
        consent_at=now if data.get("phone") else None, status="pending",
        created_at=now, updated_at=now,
    )
    db.add(volunteer)
    db.flush()
    return volunteer


def approve(db: Session, volunteer: Volunteer, *, topics: Iterable[str], lasts: timedelta,
            summary: str = "", now: datetime | None = None) -> Approved:
    """The admin's yes: the relay, the routing of ``topics`` to them, and their inbox link
    (lasting ``lasts``). Raises ``VolunteerError`` (``not_pending``)."""
    if volunteer.status != "pending":
        raise VolunteerError("not_pending")
    now = now or utcnow()
    relay = Relay(
        platform_id=volunteer.platform_id, kind=KIND, source_id=None,
        name=volunteer.first_name, phone=volunteer.phone or "",
        languages=volunteer.languages, summary=summary[:500],
        # Never offered to parents on a public page or in "near me": they reach a parent
        # ressource through a request, not by their number.
        access=join_values(["no_public"]), welcomes_public=False,
        active=True, content_hash="", updated_at=now,
    )
    db.add(relay)
    db.flush()
    for topic in topics:
        add_rule(db, RuleInput(platform_id=volunteer.platform_id, target=TARGET_RELAY,
                               relay_id=relay.id, topic=topic))
    volunteer.relay_id = relay.id
    volunteer.status = "active"
    volunteer.approved_at = volunteer.updated_at = now
    token = None
    try:
        from service.relays import access
    except ImportError:  # no inbox in this instance: the relay exists, without a link
        access = None  # type: ignore[assignment]
    if access is not None:
        token, _row = access.issue_link(db, volunteer.platform_id, relay.id, lasts=lasts,
                                        now=now)
    return Approved(volunteer, relay, token)


def decline(db: Session, volunteer: Volunteer) -> None:
    """The admin's no: the offer is erased (its author can offer again)."""
    if volunteer.status != "pending":
        raise VolunteerError("not_pending")
    db.delete(volunteer)


def pause(db: Session, volunteer: Volunteer, *, now: datetime | None = None) -> None:
    """Nothing new comes to them; what they hold stays in their inbox."""
    if volunteer.status != "active":
        raise VolunteerError("not_active")
    _set_active(db, volunteer, False, now or utcnow())


def resume(db: Session, volunteer: Volunteer, *, now: datetime | None = None) -> None:
    if volunteer.status != "paused":
        raise VolunteerError("not_paused")
    _set_active(db, volunteer, True, now or utcnow())


def _set_active(db: Session, volunteer: Volunteer, active: bool, now: datetime) -> None:
    volunteer.status = "active" if active else "paused"
    volunteer.updated_at = now
    relay = relay_of(db, volunteer)
    if relay is not None:
        relay.active = active
        relay.updated_at = now


def leave(db: Session, volunteer: Volunteer, *, now: datetime | None = None) -> int:
    """Erase the volunteer and everything personal of theirs; returns how many requests they
    held, now back with the platform's admins."""
    now = now or utcnow()
    relay = relay_of(db, volunteer)
    handed_back = 0
    if relay is not None:
        handed_back = _forget_relay(db, relay, now)
    db.delete(volunteer)
    db.flush()
    return handed_back


def _forget_relay(db: Session, relay: Relay, now: datetime) -> int:
    platform_id, relay_id = relay.platform_id, relay.id
    held = list(db.scalars(select(HelpAssignment).where(
        HelpAssignment.platform_id == platform_id, HelpAssignment.target == TARGET_RELAY,
        HelpAssignment.relay_id == relay_id, HelpAssignment.ended_at.is_(None))))
    for assignment in held:
        # The request goes back to whoever else has it, else to the platform's admins.
        db.add(HelpRequestEvent(platform_id=platform_id, request_id=assignment.request_id,
                                at=now, kind="unassigned", actor_kind="system",
                                target=TARGET_RELAY))
    # The trail keeps what was done, not by whom; no row keeps this relay's id, which the
    # directory may give to someone else one day.
    db.execute(update(HelpRequestEvent)
               .where(HelpRequestEvent.platform_id == platform_id,
                      HelpRequestEvent.relay_id == relay_id)
               .values(relay_id=None).execution_options(synchronize_session=False))
    db.execute(update(HelpRequestEvent)
               .where(HelpRequestEvent.platform_id == platform_id,
                      HelpRequestEvent.actor_kind == "relay",
                      HelpRequestEvent.actor_id == str(relay_id))
               .values(actor_id=None).execution_options(synchronize_session=False))
    db.execute(delete(HelpAssignment)
               .where(HelpAssignment.platform_id == platform_id,
                      HelpAssignment.target == TARGET_RELAY,
                      HelpAssignment.relay_id == relay_id)
               .execution_options(synchronize_session=False))
    db.execute(delete(RoutingRule)
               .where(RoutingRule.platform_id == platform_id, RoutingRule.relay_id == relay_id)
               .execution_options(synchronize_session=False))
    _forget_in_relays(db, relay)
    db.delete(relay)
    return len(held)


def _forget_in_relays(db: Session, relay: Relay) -> None:
    """The relays' inbox and outbox, when they are part of this instance: the links, the
    author of their notes (the notes stay with the requests), the messages to them."""
    try:
        from service.notifications.models import OutboxMessage
        from service.relays.models import RelayAccess, RelayNote
    except ImportError:
        return
    platform_id, relay_id = relay.platform_id, relay.id
    db.execute(delete(RelayAccess)
               .where(RelayAccess.platform_id == platform_id, RelayAccess.relay_id == relay_id)
               .execution_options(synchronize_session=False))
    db.execute(update(RelayNote)
               .where(RelayNote.platform_id == platform_id, RelayNote.relay_id == relay_id)
               .values(relay_id=None).execution_options(synchronize_session=False))
    recipients = [r for r in (relay.phone, relay.email) if r]
    to_them = OutboxMessage.ref.like(f"%:relay:{relay_id}")
    if relay.phone:
        from service.help.phones import PhoneError, to_e164

        try:
            recipients.append(to_e164(relay.phone))
        except PhoneError:
            pass
    if recipients:
        to_them = to_them | OutboxMessage.recipient.in_(recipients)
    db.execute(delete(OutboxMessage)
               .where(OutboxMessage.platform_id == platform_id, to_them)
               .execution_options(synchronize_session=False))


def facts(volunteer: Volunteer) -> dict[str, tuple[str, ...]]:
    """The offer's multi-valued answers, as lists of codes."""
    return {"languages": split_values(volunteer.languages),
            "moments": split_values(volunteer.moments),
            "at_ease": split_values(volunteer.at_ease)}


def inbox_link(db: Session, volunteer: Volunteer, *, now: datetime | None = None) -> str | None:
    """A short-lived sign-in link to their inbox, for a volunteer already signed in to the
    ENT as a parent; None when their personal link was taken back or has expired (the admin
    gives a new one), or without the relays' inbox. Their personal link stays as it is."""
    relay = relay_of(db, volunteer)
    if relay is None:
        return None
    try:
        from service.relays import access
    except ImportError:
        return None
    return access.notification_link(db, relay, lasts=timedelta(minutes=10), now=now)
