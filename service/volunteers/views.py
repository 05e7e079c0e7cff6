"""The volunteers' pages: briefings, event kits, tallies at an event, and a parent's offer to
help (sign up, pause, leave).

Routes:
  /benevoles/fiches                 the briefings (parents, relays, admins)
  /benevoles/fiches/<slug>          one briefing, printable
  /benevoles/kits                   the event kits, and the coming events they serve
  /benevoles/kits/<slug>            one kit, printable (?evenement=<id> prints the event on it)
  /benevoles/compter                the events one may be counting at (relays, admins)
  /benevoles/compter/<event_id>     count: one tap per parent helped, per topic (POST too)
  /benevoles                        a relay's page: their inbox, briefings, kits, counting
  /aider                            "Je veux aider d'autres parents": the offer, then its state
  /aider/{pause,reprendre}          (POST) a volunteer pauses, comes back (parent or relay)
  /aider/arreter                    leave: what goes, then (POST) it goes
  /aider/boite                      (POST) from the ENT to their inbox, without their link
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from service import db
from service.errors import ServiceError
from service.events.dates import when
from service.events.models import Event
from service.events.schemas import KINDS
from service.events.services import event_of
from service.help.phones import masked
from service.help.schemas import flat_errors
from service.help.services import MOMENT_LABELS
from service.i18n import NAMES, languages
from service.identity import requires
from service.topics import TOPICS, topic_label
from service.volunteers import content, kits, services, tallies
from service.volunteers.models import Volunteer
from service.volunteers.people import check_relay, signed_in_relay, who
from service.volunteers.schemas import EASE, SIGN_UP_FIELDS, SignUpSchema

bp = Blueprint("volunteers", __name__)

READERS = ("parent", "relay", "admin")
HELPERS = ("relay", "admin")  # who prepares and runs events
SIGNIN_ROWS = 18  # lines of the sign-in sheet: one A4 page


def _locale() -> str:
    return str(get_locale() or content.DEFAULT_LOCALE)


@bp.app_template_global()
def event_tallies(days: int) -> tallies.Totals:
    """For the admin's figures page: what was counted at the platform's events that started
    in the last ``days`` days."""
    since = datetime.now(UTC) - timedelta(days=days)
    return tallies.totals(db.session(), who().platform_id, since)


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
    volunteer = services.of_relay(db.session(), relay.platform_id, relay.id)
    return render_template("volunteers/relay_home.html", who=who(), relay=relay,
                           volunteer=volunteer, done=str(DONE.get(request.args.get("fait", ""),
                                                                    "")))


# --- a parent's offer to help ----------------------------------------------------------------

EASE_LABELS: dict[str, object] = {
    "ent_app": _l("L'application de l'ENT"),
    "pronote": _l("Pronote"),
    "educonnect": _l("EduConnect"),
    "email": _l("Les adresses mail"),
    "bourse": _l("La demande de bourse"),
    "orientation": _l("L'orientation et Affelnet"),
    "parcoursup": _l("Parcoursup"),
}
MOMENTS_SHOWN: dict[str, object] = {**MOMENT_LABELS,
                                    "events": _l("Pendant les rendez-vous de l'école")}
DONE: dict[str, object] = {
    "envoyee": _l("Merci ! Votre proposition est envoyée à l'établissement."),
    "pause": _l("C'est noté : vous êtes en pause. Aucune nouvelle demande ne vous arrive."),
    "reprise": _l("Bon retour ! Les nouvelles demandes vous arrivent à nouveau."),
}


def _labels() -> dict[str, str]:
    return {
        "first_name": _("Votre prénom"),
        "languages": _("Les langues que vous parlez"),
        "moments": _("Quand vous êtes disponible"),
        "at_ease": _("Ce que vous savez bien faire"),
        "phone": _("Votre numéro de téléphone"),
        "consent": _("Votre accord pour le numéro"),
    }


def _options() -> dict[str, list[tuple[str, str]]]:
    return {
        "languages": [*((c, NAMES.get(c, c)) for c in languages()),
                      ("xx", _("Une autre langue"))],
        "moments": [(k, str(v)) for k, v in MOMENTS_SHOWN.items()],
        "at_ease": [(k, str(EASE_LABELS[k])) for k in EASE],
    }


def described(volunteer: Volunteer) -> dict[str, Any]:
    """What a volunteer told, in words (for them and for the admin)."""
    facts = services.facts(volunteer)
    options = _options()
    names = {key: dict(pairs) for key, pairs in options.items()}
    return {key: [names[key].get(code, code) for code in codes] for key, codes in facts.items()
            } | {"phone": masked(volunteer.phone) if volunteer.phone else ""}


def _mine() -> Volunteer | None:
    """The volunteer behind this session: the parent's own offer, or the relay's."""
    person = who()
    database = db.session()
    if person.audience == "relay":
        relay = signed_in_relay()
        return services.of_relay(database, relay.platform_id, relay.id)
    return services.of_user(database, person.platform_id, person.user_id or "")


def _render_join(volunteer: Volunteer | None, *, values: dict[str, Any] | None = None,
                 errors: dict[str, list[str]] | None = None, notice: str = "",
                 status: int = 200) -> tuple[str, int]:
    return render_template(
        "volunteers/join.html", who=who(), volunteer=volunteer,
        facts=described(volunteer) if volunteer else None,
        values=values or {}, errors=errors or {}, labels=_labels(), options=_options(),
        done=str(DONE.get(request.args.get("fait", ""), "")), notice=notice,
    ), status


@bp.get("/aider")
@requires("parent")
def join() -> Any:
    return _render_join(_mine())


@bp.post("/aider")
@requires("parent")
def join_send() -> Any:
    person = who()
    if _mine() is not None:
        return redirect(url_for("volunteers.join"), code=303)
    try:
        data = SignUpSchema(languages()).load(request.form)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        values = {k: request.form.getlist(k) if k in ("languages", "moments", "at_ease")
                  else str(request.form.get(k, ""))[:200] for k in SIGN_UP_FIELDS}
        return _render_join(None, values=values, errors=flat_errors(messages, SIGN_UP_FIELDS),
                            status=400)
    with db.transaction() as tx:
        try:
            services.sign_up(tx, person.platform_id, person.user_id or "", data)
        except services.VolunteerError:
            pass  # sent twice (a double tap): the first one stands
    return redirect(url_for("volunteers.join", fait="envoyee"), code=303)


def _back_to_own_page(done: str) -> Response:
    endpoint = "volunteers.relay_home" if who().audience == "relay" else "volunteers.join"
    return redirect(url_for(endpoint, fait=done), code=303)  # type: ignore[return-value]


def _mine_or_404() -> Volunteer:
    found = _mine()
    if found is None:
        raise ServiceError("not_found", 404)
    return found


@bp.post("/aider/pause")
@requires("parent", "relay")
def pause() -> Response:
    with db.transaction() as tx:
        volunteer = _mine_or_404()
        if volunteer.status == "active":
            services.pause(tx, volunteer)
    return _back_to_own_page("pause")


@bp.post("/aider/reprendre")
@requires("parent", "relay")
def resume() -> Response:
    with db.transaction() as tx:
        volunteer = _mine_or_404()
        if volunteer.status == "paused":
            services.resume(tx, volunteer)
    return _back_to_own_page("reprise")


@bp.get("/aider/arreter")
@requires("parent", "relay")
def leave_page() -> str:
    return render_template("volunteers/leave.html", who=who(), volunteer=_mine_or_404())


@bp.post("/aider/arreter")
@requires("parent", "relay")
def leave() -> str:
    audience = who().audience
    with db.transaction() as tx:
        volunteer = _mine_or_404()
        was_pending = volunteer.status == "pending"
        services.leave(tx, volunteer)
    if audience == "relay":
        # Their links are gone: the session they opened with one ends here.
        session.clear()
    return render_template("volunteers/left.html", who=who() if audience == "parent" else None,
                           was_pending=was_pending)


@bp.post("/aider/boite")
@requires("parent")
def to_inbox() -> Any:
    with db.transaction() as tx:
        volunteer = _mine_or_404()
        token = services.inbox_link(tx, volunteer)
    if token is None:
        return _render_join(volunteer, notice=_(
            "Votre lien vers la boîte des demandes ne marche plus. Demandez-en un nouveau à "
            "la personne qui gère Relais pour l'établissement."))
    response = redirect(f"/r/{token}", code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
