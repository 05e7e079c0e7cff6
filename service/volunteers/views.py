"""The volunteers' pages: briefings and event kits.

Routes:
  /benevoles/fiches                 the briefings (parents, relays, admins)
  /benevoles/fiches/<slug>          one briefing, printable
  /benevoles/kits                   the event kits, and the coming events they serve
  /benevoles/kits/<slug>            one kit, printable (?evenement=<id> prints the event on it)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from service import db
from service.errors import ServiceError
from service.events.dates import when
from service.events.models import Event
from service.events.schemas import KINDS
from service.events.services import event_of
from service.identity import requires
from service.volunteers import content, kits
from service.volunteers.people import check_relay, who

bp = Blueprint("volunteers", __name__)

READERS = ("parent", "relay", "admin")
HELPERS = ("relay", "admin")  # who prepares and runs events
SIGNIN_ROWS = 18  # lines of the sign-in sheet: one A4 page


def _locale() -> str:
    return str(get_locale() or content.DEFAULT_LOCALE)


# --- briefings -------------------------------------------------------------------------------


@bp.get("/benevoles/fiches")
@requires(*READERS)
def briefings() -> str:
    check_relay()
    shelf = content.shelf()
    locale = _locale()
    shown = [shelf.briefing(slug, locale)[0] for slug in content.BRIEFINGS]
    return render_template("volunteers/briefings.html", who=who(),
                           briefings=[b for b in shown if b is not None])


@bp.get("/benevoles/fiches/<slug>")
@requires(*READERS)
def briefing(slug: str) -> Any:
    check_relay()
    if slug not in content.BRIEFINGS:
        raise ServiceError("not_found", 404)
    found, fallback = content.shelf().briefing(slug, _locale())
    if found is None:
        raise ServiceError("not_found", 404)
    return render_template("volunteers/briefing.html", who=who(), briefing=found,
                           fallback=fallback)


# --- event kits ------------------------------------------------------------------------------


def _event_line(event: Event) -> str:
    return when(event.starts_at, event.ends_at, _locale())


@bp.get("/benevoles/kits")
@requires(*HELPERS)
def kits_page() -> str:
    check_relay()
    person = who()
    database = db.session()
    shelf = content.shelf()
    shown = [k for k in (shelf.kit(slug, _locale())[0] for slug in content.KITS) if k]
    events = [(e, _event_line(e), str(KINDS.get(e.kind, "")),
               [k for k in shown if kits.serves(k, e.kind)])
              for e in kits.upcoming_events(database, person.platform_id)]
    return render_template("volunteers/kits.html", who=person, kits=shown, events=events,
                           kinds={k: str(v) for k, v in KINDS.items()})


@bp.get("/benevoles/kits/<slug>")
@requires(*HELPERS)
def kit_page(slug: str) -> str:
    check_relay()
    person = who()
    database = db.session()
    found = kits.kit_for(database, person.platform_id, slug, _locale())
    if found is None:
        raise ServiceError("not_found", 404)
    kit, fallback = found
    event = None
    wanted = request.args.get("evenement", "")
    if wanted.isdigit() and len(wanted) < 12:
        event = event_of(person.platform_id, int(wanted))
    link = kits.school_link(database, person.platform_id, event)
    kit = content.with_link(kit, link or _("l'adresse de la page d'aide de l'établissement, "
                                            "sur l'affiche de la classe"))
    qr = None
    if link and any(s.layout == "poster" for s in kit.sections):
        from service.teachers.flyer import qr_svg

        qr = qr_svg(link, title=_("Code QR vers %(link)s", link=link))
    events = [(e, _event_line(e)) for e in kits.upcoming_events(database, person.platform_id)
              if kits.serves(kit, e.kind)]
    return render_template(
        "volunteers/kit.html", who=person, kit=kit, fallback=fallback, event=event,
        event_when=_event_line(event) if event else "",
        event_kind=str(KINDS.get(event.kind, "")) if event else "",
        events=events, link=link, short_link=link.split("://", 1)[-1] if link else None,
        qr=qr, kinds={k: str(v) for k, v in KINDS.items()}, signin_rows=range(SIGNIN_ROWS),
    )
