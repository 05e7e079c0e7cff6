"""The relays' pages: the personal link, the inbox, one request; and the admin's page that
makes and takes back a relay's link.

Routes:
  /r/<token>                              open a personal link: signs the relay in
  /relais/boite                           the requests routed to the signed-in relay
  /relais/boite/<id>                      one of them: take it, note, status, hand over, refer
  /relais/boite/<id>/{prendre,statut,note,confier,orienter}   (POST)
  /relais/sortir                          sign out (POST)
  /admin/relais/<relay_id>/acces          admin: the relay's link (make one, take it back)

A relay sees a request only while it is routed to them on their platform: any other id gets
the same 404 as an id that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from service import db
from service.directory.models import Relay
from service.errors import ServiceError
from service.help import codes
from service.help import services as help_services
from service.help.models import HelpRequest
from service.help.schemas import flat_errors
from service.i18n import NAMES
from service.identity import Identity, current, requires, start_session
from service.platforms.models import Platform
from service.ratelimit import limited
from service.relays import access, notify, services
from service.relays.models import as_utc, utcnow
from service.relays.schemas import HandOverSchema, NoteSchema, ReferSchema, StatusSchema
from service.topics import topic_label

bp = Blueprint("relays", __name__)


@bp.record_once
def _listen(state: Any) -> None:
    # The help flow tells its listeners about each new request and each change, in its own
    # transaction: that is where the outbox messages are written.
    state.app.extensions.setdefault("help_listeners", []).append(notify.on_help_event)


link_limit = limited("RELAY_LINK_LIMIT")

PARIS = ZoneInfo("Europe/Paris")
# How a relay reads a status (the parent reads help's own words on the status page).
STATUS_WORDS: dict[str, object] = {
    "new": _l("Nouvelle"),
    "contacted": _l("Contacté"),
    "resolved": _l("Résolu"),
    "closed": _l("Clos"),
    "cancelled": _l("Annulée par le parent"),
}
REFERRAL_WORDS: dict[str, object] = {
    "aidants_connect": _l("Aidants Connect"),
    "france_services": _l("France Services"),
}
DONE_WORDS: dict[str, object] = {
    "pris": _l("Vous vous occupez de cette demande."),
    "statut": _l("C'est noté. Le parent voit où en est sa demande."),
    "note": _l("Votre note est enregistrée. Le parent ne la voit pas."),
    "orientee": _l("C'est noté : vous avez orienté le parent vers un professionnel."),
    "confiee": _l("La demande est confiée. Elle n'est plus dans votre boîte."),
}


# --- signing in ---------------------------------------------------------------------------


def _sign_in(relay: Relay, access_id: int) -> None:
    platform = db.session().get(Platform, relay.platform_id)
    identity = Identity(
        platform_id=relay.platform_id,
        platform_name=platform.name if platform else "",
        audience="relay",
        user_id=f"relay:{relay.id}",
        display_name=relay.name,
        class_id=None,
        class_title="",
        link_id=None,
    )
    start_session(identity, relay={"relay_id": relay.id, "access_id": access_id})


@bp.get("/r/<token>")
@link_limit
def open_link(token: str) -> Response:
    with db.transaction() as tx:
        found = access.open_link(tx, token[:100])
        relay = access.relay_of(tx, found.platform_id, found.relay_id) if found else None
        if found is None or relay is None:
            raise ServiceError("relay_link_invalid", 404)
        _sign_in(relay, found.id)
    # A redirect, so the token leaves the address bar and the history.
    response = redirect(url_for("relays.inbox"), code=303)
    response.headers["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


def _relay() -> Relay:
    """The signed-in relay, while the link they came with is valid; else the session ends."""
    who = current()
    assert who is not None  # guaranteed by @requires
    held = session.get("relay")
    relay = None
    if isinstance(held, dict):
        try:
            relay = access.signed_in_relay(db.session(), who.platform_id,
                                           int(held["relay_id"]), int(held["access_id"]))
        except (KeyError, TypeError, ValueError):
            relay = None
    if relay is None or who.user_id != f"relay:{relay.id}":
        session.clear()
        raise ServiceError("relay_access_ended", 401)
    return relay


@bp.post("/relais/sortir")
@requires("relay")
def sign_out() -> Any:
    session.clear()
    return render_template("relays/signed_out.html")


# --- the inbox ------------------------------------------------------------------------------


def _when(value: datetime) -> str:
    return as_utc(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _phone(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    style = (phonenumbers.PhoneNumberFormat.NATIONAL
             if phonenumbers.region_code_for_number(number) == "FR"
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def _summary(found: HelpRequest, relay: Relay) -> dict[str, Any]:
    """What the inbox shows of a request: the least that lets a relay help."""
    return {
        "id": found.id,
        "first_name": found.first_name,
        "topic": topic_label(found.topic),
        "language": NAMES.get(found.language, found.language),
        "moments": [str(help_services.MOMENT_LABELS[m]) for m in found.moment_list],
        "received": _when(found.created_at),
        "status": found.status,
        "status_words": str(STATUS_WORDS.get(found.status, found.status)),
        "is_open": found.status in ("new", "contacted"),
        "mine": services.taken_by(found) == relay.id,
    }


@bp.get("/relais/boite")
@requires("relay")
def inbox() -> str:
    relay = _relay()
    rows = [_summary(r, relay) for r in services.inbox(db.session(), relay)]
    return render_template(
        "relays/inbox.html",
        relay=relay,
        open_rows=[r for r in rows if r["is_open"]],
        done_rows=[r for r in rows if not r["is_open"]],
        done=str(DONE_WORDS.get(request.args.get("fait", ""), "")),
    )


def _routed_or_404(relay: Relay, request_id: int) -> HelpRequest:
    found = services.routed_request(db.session(), relay, request_id)
    if found is None:
        raise ServiceError("not_found", 404)
    return found


def _labels() -> dict[str, str]:
    return {
        "body": _("Votre note"),
        "status": _("Où en est la demande"),
        "relay_id": _("À qui confier la demande"),
        "to": _("Vers qui orienter le parent"),
    }


def _render_request(relay: Relay, found: HelpRequest, *, errors: dict[str, list[str]] | None = None,
                    values: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    database = db.session()
    mine = services.taken_by(found) == relay.id
    taker = services.taken_by(found)
    step = None
    if found.step:
        step = services.step_title(found.step) or found.step
    html = render_template(
        "relays/request.html",
        relay=relay,
        req=found,
        summary=_summary(found, relay),
        code=codes.display(found.code),
        mine=mine,
        taken_by_other=taker is not None and taker != relay.id,
        # The number only to the relay who took the request: the others need not see it.
        phone=_phone(found.phone) if found.phone and mine else None,
        phone_link=found.phone if found.phone and mine else None,
        has_phone=found.phone is not None,
        step=step,
        device=found.device,
        next_statuses=[(s, str(STATUS_WORDS[s])) for s in services.next_statuses(found)],
        notes=[{"body": n.body, "when": _when(n.created_at), "by_me": n.relay_id == relay.id}
               for n in services.notes(database, found)],
        candidates=[(str(r.id), r.name) for r in services.candidates(database, relay)],
        referred=[str(REFERRAL_WORDS[t]) for t in services.referred_to(found)
                  if t in REFERRAL_WORDS],
        referral_options=[(k, str(v)) for k, v in REFERRAL_WORDS.items()],
        errors=errors or {},
        values=values or {},
        labels=_labels(),
        done=str(DONE_WORDS.get(request.args.get("fait", ""), "")),
    )
    return html, status


@bp.get("/relais/boite/<int:request_id>")
@requires("relay")
def detail(request_id: int) -> Any:
    relay = _relay()
    return _render_request(relay, _routed_or_404(relay, request_id))


def _back(request_id: int, done: str) -> Response:
    return redirect(url_for("relays.detail", request_id=request_id, fait=done),
                    code=303)  # type: ignore[return-value]


def _load(schema: Any, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    try:
        return schema.load(dict(request.form)), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return {}, flat_errors(messages, names)


@bp.post("/relais/boite/<int:request_id>/prendre")
@requires("relay")
def take(request_id: int) -> Response:
    relay = _relay()
    with db.transaction() as tx:
        found = _routed_or_404(relay, request_id)
        services.take(tx, found, relay)
    return _back(request_id, "pris")


@bp.post("/relais/boite/<int:request_id>/statut")
@requires("relay")
def set_status(request_id: int) -> Any:
    relay = _relay()
    found = _routed_or_404(relay, request_id)
    data, errors = _load(StatusSchema(), ("status",))
    if not errors and data["status"] not in services.next_statuses(found):
        errors = {"status": [_("Cette demande ne peut plus passer à « %(status)s ».",
                              status=str(STATUS_WORDS[data["status"]]))]}
    if errors:
        return _render_request(relay, found, errors=errors, status=400)
    with db.transaction() as tx:
        services.set_status(tx, found, relay, data["status"])
    return _back(request_id, "statut")


@bp.post("/relais/boite/<int:request_id>/note")
@requires("relay")
def add_note(request_id: int) -> Any:
    relay = _relay()
    found = _routed_or_404(relay, request_id)
    data, errors = _load(NoteSchema(), ("body",))
    if errors:
        values = {"body": str(request.form.get("body", ""))[:2000]}
        return _render_request(relay, found, errors=errors, values=values, status=400)
    with db.transaction() as tx:
        services.add_note(tx, found, relay, data["body"])
    return _back(request_id, "note")


@bp.post("/relais/boite/<int:request_id>/confier")
@requires("relay")
def hand_over(request_id: int) -> Any:
    relay = _relay()
    found = _routed_or_404(relay, request_id)
    allowed = [r.id for r in services.candidates(db.session(), relay)]
    data, errors = _load(HandOverSchema(allowed), ("relay_id",))
    if errors:
        return _render_request(relay, found, errors=errors, status=400)
    with db.transaction() as tx:
        to = access.relay_of(tx, relay.platform_id, data["relay_id"])
        assert to is not None  # among the candidates, so of this platform
        services.hand_over(tx, found, relay, to)
    return redirect(url_for("relays.inbox", fait="confiee"), code=303)


@bp.post("/relais/boite/<int:request_id>/orienter")
@requires("relay")
def refer(request_id: int) -> Any:
    relay = _relay()
    found = _routed_or_404(relay, request_id)
    data, errors = _load(ReferSchema(), ("to",))
    if errors:
        return _render_request(relay, found, errors=errors, status=400)
    with db.transaction() as tx:
        services.refer(tx, found, relay, data["to"])
    return _back(request_id, "orientee")


# --- the admin's side: a relay's link ---------------------------------------------------------


def _admin() -> Identity:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who


def _access_page(relay: Relay, *, token: str | None = None, done: str = "") -> Response:
    now = utcnow()
    personal = access.personal_link(db.session(), relay.platform_id, relay.id, now)
    html = render_template(
        "relays/admin_access.html",
        relay=relay,
        link=access.link_url(token) if token else None,
        valid_until=_when(personal.expires_at) if personal else None,
        last_used=_when(personal.last_used_at) if personal and personal.last_used_at else None,
        durations=[("30d", _("30 jours")), ("90d", _("90 jours")), ("180d", _("180 jours"))],
        done=done,
    )
    response = Response(html)
    # The link is shown once: no copy of the page in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/relais/<int:relay_id>/acces")
@requires("admin")
def admin_access(relay_id: int) -> Response:
    who = _admin()
    relay = access.relay_of(db.session(), who.platform_id, relay_id)
    if relay is None:
        raise ServiceError("not_found", 404)
    revoked = request.args.get("fait") == "retire"
    return _access_page(relay, done=_("L'accès est retiré : les liens de ce relais ne marchent "
                                      "plus.") if revoked else "")


@bp.post("/admin/relais/<int:relay_id>/acces")
@requires("admin")
def admin_access_change(relay_id: int) -> Response:
    who = _admin()
    action = request.form.get("action", "")
    with db.transaction() as tx:
        relay = access.relay_of(tx, who.platform_id, relay_id)
        if relay is None:
            raise ServiceError("not_found", 404)
        if action == "revoke":
            access.revoke(tx, who.platform_id, relay.id)
        elif action == "issue":
            try:
                lasts = access.parse_duration(request.form.get("expires", "90d"))
            except access.AccessError as error:
                raise ServiceError("bad_request", 400) from error
            token, _row = access.issue_link(tx, who.platform_id, relay.id, lasts=lasts)
        else:
            raise ServiceError("bad_request", 400)
    if action == "revoke":
        return redirect(url_for("relays.admin_access", relay_id=relay_id, fait="retire"),
                        code=303)  # type: ignore[return-value]
    return _access_page(relay, token=token)
