"""Who is told what when a help request moves: written to the outbox in the transaction of
the change (``service.notifications.outbox``), delivered later by ``relais worker``.

- A new request, or one handed over: each relay it is routed to, by email when the relay
  has an address, else by SMS to a mobile number. The email carries a sign-in link to the
  inbox (while the relay's personal link is valid).
- A relay moves it to "contacted", "resolved" or "closed": the parent, by SMS, only when
  they gave a number *and* asked for news by SMS, in the language of their request.
- The parent erases their number (or cancels): SMS not yet sent to them are withdrawn.

No personal detail ever goes into an email subject or the first words of an SMS (what a
locked phone shows): no name, no number, no topic there.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from service.directory.models import Relay
from service.help import codes
from service.help.models import TARGET_RELAY, HelpRequest, HelpRequestEvent
from service.help.phones import PhoneError, to_e164
from service.i18n import NAMES
from service.notifications import outbox
from service.notifications.senders import configured_channels
from service.platforms.models import Platform
from service.relays import access
from service.relays.models import utcnow
from service.topics import topic_label

PARENT_TOLD = ("contacted", "resolved", "closed")
SMS_LOCALES = ("fr", "ar", "en", "pt", "tr")  # a template exists for each
RELAY_SUBJECT = "Relais : une demande d'aide vous attend"
_MOBILE = frozenset({phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def on_help_event(db: Session, request: HelpRequest, event: HelpRequestEvent) -> None:
    """The help flow's listener (see ``service.help.services``): runs in its transaction."""
    if event.kind == "created":
        for assignment in request.active_assignments:
            if assignment.target != TARGET_RELAY or assignment.relay_id is None:
                continue
            relay = access.relay_of(db, request.platform_id, assignment.relay_id)
            if relay is not None:
                tell_relay(db, request, relay, reason="new", now=event.at)
    elif event.kind == "status" and event.to_status in PARENT_TOLD:
        tell_parent(db, request, event.to_status, now=event.at)
    elif event.kind == "phone_erased":
        outbox.discard(db, parent_ref(request))


def parent_ref(request: HelpRequest) -> str:
    return f"help_request:{request.id}:parent"


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _mobile(typed: str) -> str | None:
    """The relay's number as E.164 if it can receive an SMS."""
    try:
        e164 = to_e164(typed)
    except PhoneError:
        return None
    kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    return e164 if kind in _MOBILE else None


def tell_relay(db: Session, request: HelpRequest, relay: Relay, *, reason: str,
               now: datetime | None = None) -> bool:
    """Queue "a request waits for you" to ``relay``; ``reason`` makes the key (``new``,
    ``handed-<id>``). False when the relay cannot be reached by a configured channel."""
    now = now or utcnow()
    channels = configured_channels(current_app.config)
    email = relay.email.strip() if "@" in relay.email else ""
    mobile = _mobile(relay.phone) if relay.phone else None
    channel = "email" if email and "email" in channels else (
        "sms" if mobile and "sms" in channels else None)
    if channel is None:
        return False
    lasts = timedelta(days=int(current_app.config["RELAY_MAIL_LINK_DAYS"]))
    token = access.notification_link(db, relay, lasts=lasts, now=now)
    link = access.link_url(token) if token else f"{_base_url()}/relais/boite"
    platform = db.get(Platform, request.platform_id)
    with force_locale("fr"):
        context = {
            "link": link,
            "signs_in": token is not None,
            "days": lasts.days,
            "topic": topic_label(request.topic),
            "language": NAMES.get(request.language, request.language),
            "platform_name": platform.name if platform else "",
        }
        body = render_template(f"relays/messages/new_request.{channel}.txt", **context)
    return outbox.enqueue(db, outbox.Message(
        platform_id=request.platform_id,
        key=f"help_request:{request.id}:{reason}:relay:{relay.id}:{channel}",
        channel=channel,
        recipient=email if channel == "email" else str(mobile),
        subject=RELAY_SUBJECT if channel == "email" else "",
        body=body.strip() + "\n",
        ref=f"help_request:{request.id}:relay:{relay.id}",
    ), now=now)


def tell_parent(db: Session, request: HelpRequest, status: str, *,
                now: datetime | None = None) -> bool:
    """Queue the SMS telling the parent their request moved to ``status``, when they asked
    for it. False when nothing is queued."""
    if not (request.phone and request.sms_updates and status in PARENT_TOLD):
        return False
    if "sms" not in configured_channels(current_app.config):
        return False
    locale = request.language if request.language in SMS_LOCALES else "fr"
    # A request made on a public page opens by its code; one made in the ENT only there.
    link = (f"{_base_url()}/demande/{codes.display(request.code)}"
            if request.origin == "public" else None)
    body = render_template(f"relays/messages/parent_status.{locale}.txt",
                           status="contacted" if status == "contacted" else "done", link=link)
    return outbox.enqueue(db, outbox.Message(
        platform_id=request.platform_id,
        # A request reaches each status once: one SMS per status, whatever happens.
        key=f"help_request:{request.id}:status:{status}:parent:sms",
        channel="sms",
        recipient=request.phone,
        body=" ".join(body.split()),
        ref=parent_ref(request),
    ), now=now)
