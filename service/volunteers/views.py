"""The volunteers' pages: briefings, event kits, and counting at an event.

Routes:
  /benevoles/fiches                 the briefings (parents, relays, admins)
  /benevoles/fiches/<slug>          one briefing, printable
  /benevoles/kits                   the event kits, and the coming events they serve
  /benevoles/kits/<slug>            one kit, printable (?evenement=<id> prints the event on it)
  /benevoles/compter                the events one may be counting at (relays, admins)
  /benevoles/compter/<event_id>     count: one tap per parent helped, per topic (POST too)
  /benevoles                        a relay's page: their inbox, briefings, kits, counting
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from service import db
from service.errors import ServiceError
from service.events.dates import when
from service.events.models import Event
from service.events.schemas import KINDS
from service.events.services import event_of
from service.identity import requires
from service.topics import TOPICS, topic_label
from service.volunteers import content, kits, tallies
from service.volunteers.people import check_relay, signed_in_relay, who

bp = Blueprint("volunteers", __name__)

READERS = ("parent", "relay", "admin")
HELPERS = ("relay", "admin")  # who prepares and runs events
SIGNIN_ROWS = 18  # lines of the sign-in sheet: one A4 page


def _locale() -> str:
    return str(get_locale() or content.DEFAULT_LOCALE)


@bp.app_context_processor
def _figures() -> dict[str, Any]:
    def event_tallies(days: int) -> tallies.Totals:
        """For the admin's figures page: what was counted at the platform's events that
        started in the last ``days`` days."""
        since = datetime.now(UTC) - timedelta(days=days)
        return tallies.totals(db.session(), who().platform_id, since)

    return {"event_tallies": event_tallies}


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


# --- counting at an event --------------------------------------------------------------------


@bp.get("/benevoles/compter")
@requires(*HELPERS)
def tally_events() -> str:
    check_relay()
    person = who()
    database = db.session()
    events = [(e, _event_line(e), sum(tallies.of_event(database, person.platform_id,
                                                       e.id).values()))
              for e in tallies.events_to_count(database, person.platform_id)]
    return render_template("volunteers/tally_events.html", who=person, events=events)


def _event_or_404(event_id: int) -> Event:
    found = event_of(who().platform_id, event_id)
    if found is None:
        raise ServiceError("not_found", 404)
    return found


@bp.get("/benevoles/compter/<int:event_id>")
@requires(*HELPERS)
def tally(event_id: int) -> str:
    check_relay()
    event = _event_or_404(event_id)
    counts = tallies.of_event(db.session(), who().platform_id, event.id)
    done = request.args.get("fait", "")
    step = request.args.get("pas", "")
    return render_template(
        "volunteers/tally.html", who=who(), event=event, event_when=_event_line(event),
        rows=[(code, topic_label(code), counts.get(code, 0)) for code in TOPICS],
        total=sum(counts.values()),
        done=topic_label(done) if done in TOPICS else "", undone=step == "moins",
    )


@bp.post("/benevoles/compter/<int:event_id>")
@requires(*HELPERS)
def tally_add(event_id: int) -> Response:
    check_relay()
    event = _event_or_404(event_id)
    topic = request.form.get("topic", "")
    step = {"1": 1, "-1": -1}.get(request.form.get("step", ""))
    if topic not in TOPICS or step is None:
        raise ServiceError("bad_request", 400)
    with db.transaction() as tx:
        tallies.add(tx, who().platform_id, event.id, topic, step)
    target = url_for("volunteers.tally", event_id=event.id, fait=topic,
                     pas="plus" if step > 0 else "moins")
    return redirect(f"{target}#t-{topic}", code=303)  # type: ignore[return-value]


# --- a relay's own page ----------------------------------------------------------------------


@bp.get("/benevoles")
@requires("relay")
def relay_home() -> str:
    relay = signed_in_relay()
    return render_template("volunteers/relay_home.html", who=who(), relay=relay)
