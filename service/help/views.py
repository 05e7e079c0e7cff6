"""Pages of the help flow: "be called back" (ENT and public), the status page, and the
routing rules of a platform (admins).

Routes:
  /aide/rappel            parent (teachers and admins get a preview that sends nothing)
  /e/<slug>/rappel        the school's public page: no login, rate-limited, honeypot
  /demande                type a code (and, in the ENT, the parent's own requests)
  /demande/<code>         the status page, with "Annuler ma demande" and "Effacer mon numéro"
  /admin/routage          the platform's routing rules
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from service import db
from service.directory.models import Relay
from service.errors import ServiceError
from service.help import codes, routing, services
from service.help.cli import commands
from service.help.models import MOMENTS, OPEN_STATUSES, TARGET_RELAY, TARGET_SCHOOL_CONTACT
from service.help.phones import masked
from service.help.schemas import (
    CALLBACK_FIELDS,
    RULE_FIELDS,
    CallbackSchema,
    LookupSchema,
    RuleSchema,
    flat_errors,
    form_data,
)
from service.i18n import NAMES, languages
from service.identity import Identity, current, requires
from service.ratelimit import limited
from service.schools.models import School
from service.schools.public import school_or_404
from service.teachers.services import class_view
from service.topics import TOPICS, topic_label

bp = Blueprint("help", __name__, cli_group=None)
for _command in commands:
    bp.cli.add_command(_command)

# Every page that opens a request by its code shares one budget per address.
lookup_limit = limited("HELP_LOOKUP_LIMIT", scope="help-lookup")
# Public submissions: the stored ones (and the honeypot's pretend ones) are few; the attempts,
# valid or not, are bounded too.
public_stored_limit = limited("HELP_PUBLIC_SUBMIT_LIMIT", methods=["POST"],
                              counts=lambda response: response.status_code == 303)
public_tries_limit = limited("HELP_PUBLIC_TRIES_LIMIT", methods=["POST"])

HIDDEN_FIELDS = ("step", "device")


# --- "Be called back" ---


def _labels() -> dict[str, str]:
    return {
        "phone": _("Votre numéro de téléphone"),
        "moments": _("Quand peut-on vous appeler ?"),
        "language": _("Dans quelle langue ?"),
        "topic": _("C'est à propos de"),
        "first_name": _("Votre prénom"),
        "message": _("Un mot pour la personne qui vous rappellera"),
        "consent": _("Votre accord"),
    }


def _initial(args: MultiDict[str, str]) -> dict[str, Any]:
    """The form before anything is typed: topic, step and device may come from the link."""
    values: dict[str, Any] = {"language": str(get_locale() or "fr"), "moments": []}
    if args.get("topic") in TOPICS:
        values["topic"] = args["topic"]
    for name in HIDDEN_FIELDS:
        value = args.get(name, "")
        if value and CallbackSchema.hidden_ok(name, value):
            values[name] = value
    return values


def _render_callback(*, action: str, values: dict[str, Any], errors: dict[str, list[str]],
                     preview: bool = False, preview_checked: bool = False,
                     school: School | None = None, contact: str = "",
                     status: int = 200) -> tuple[str, int]:
    topic_options = [(code, str(label)) for code, label in TOPICS.items()]
    if values.get("topic") not in TOPICS:
        topic_options.insert(0, ("", _("Choisissez")))
    html = render_template(
        "help/callback.html",
        action=action,
        values=values,
        errors=errors,
        labels=_labels(),
        preview=preview,
        preview_checked=preview_checked,
        school=school,
        topic_options=topic_options,
        language_options=[(code, NAMES.get(code, code)) for code in languages()],
        moment_options=[(m, str(services.MOMENT_LABELS[m])) for m in MOMENTS],
        retention_days=int(current_app.config["RETENTION_DAYS"]),
        contact=contact,
    )
    return html, status


def _validate(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, Any], dict]:
    """(submitted values for redisplay, loaded data, errors by field)."""
    raw = form_data(form)
    values = {k: v for k, v in raw.items() if k in (*CALLBACK_FIELDS, *HIDDEN_FIELDS)}
    values.setdefault("moments", [])
    try:
        data = CallbackSchema(languages()).load(raw)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        if any(name in messages for name in HIDDEN_FIELDS):
            # Only a tampered link gets here: there is no field the parent could correct.
            raise ServiceError("bad_request", 400) from error
        return values, {}, flat_errors(messages, CALLBACK_FIELDS)
    return values, data, {}


def _new_request(data: dict[str, Any], **where: Any) -> services.NewRequest:
    return services.NewRequest(
        topic=data["topic"],
        language=data["language"],
        channel="callback",
        phone=data["phone"],
        consent=data["consent"] == "yes",
        sms_updates=data.get("sms_updates") == "yes",
        moments=tuple(data["moments"]),
        first_name=data["first_name"],
        message=data["message"],
        step=data.get("step"),
        device=data.get("device"),
        **where,
    )


def _to_status(code: str) -> Response:
    return redirect(url_for("help.status", code=codes.display(code), envoyee=1), code=303)


@bp.route("/aide/rappel", methods=["GET", "POST"])
@requires("parent", "teacher", "admin")
def callback() -> Any:
    who = current()
    assert who is not None  # guaranteed by @requires
    preview = who.audience != "parent"
    action = url_for("help.callback")
    # Where "Je bloque ici" in the wizard leads: the class's own contact is offered too.
    contact = class_view(who.platform_id, who.class_id).contact
    if request.method == "GET":
        return _render_callback(action=action, values=_initial(request.args), errors={},
                                preview=preview, contact=contact)
    values, data, errors = _validate(request.form)
    if errors:
        return _render_callback(action=action, values=values, errors=errors, preview=preview,
                                contact=contact, status=400)
    if preview:
        # A teacher or an admin sees that the form works; nothing is sent or stored.
        return _render_callback(action=action, values=values, errors={}, preview=True,
                                preview_checked=True, contact=contact)
    with db.transaction() as tx:
        created = services.create_request(
            tx,
            _new_request(data, platform_id=who.platform_id, origin="ent", user_id=who.user_id,
                         class_id=who.class_id),
        )
    return _to_status(created.code)


@bp.route("/e/<slug>/rappel", methods=["GET", "POST"])
@public_tries_limit
@public_stored_limit
def public_callback(slug: str) -> Any:
    school = school_or_404(slug)
    action = url_for("help.public_callback", slug=school.slug)
    if request.method == "GET":
        return _render_callback(action=action, values=_initial(request.args), errors={},
                                school=school)
    if request.form.get("website"):
        # The honeypot: only a robot fills the hidden field. It is told all went well.
        return redirect(url_for("help.public_sent", slug=school.slug), code=303)
    values, data, errors = _validate(request.form)
    if errors:
        return _render_callback(action=action, values=values, errors=errors, school=school,
                                status=400)
    with db.transaction() as tx:
        created = services.create_request(
            tx, _new_request(data, platform_id=school.platform_id, origin="public",
                             school_id=school.id)
        )
    return _to_status(created.code)


@bp.get("/e/<slug>/rappel/envoyee")
def public_sent(slug: str) -> str:
    school = school_or_404(slug)
    return render_template("help/sent.html", school=school)


# --- Finding a request again, and the status page ---


def _not_found(typed: str = "") -> tuple[str, int]:
    errors = {"code": [_("Nous ne trouvons pas de demande avec ce code. Vérifiez les lettres "
                         "et les chiffres, puis réessayez.")]}
    return _render_lookup(values={"code": typed}, errors=errors, status=404,
                          error_code="not_found")


def _render_lookup(*, values: dict[str, Any], errors: dict[str, list[str]], status: int = 200,
                   error_code: str = "form_invalid") -> tuple[str, int]:
    who = current()
    mine = services.requests_of(db.session(), who) if who is not None else []
    html = render_template(
        "help/lookup.html",
        values=values,
        errors=errors,
        error_code=error_code if errors else None,
        labels={"code": _("Le code de votre demande")},
        mine=mine,
        display=codes.display,
        topic_label=topic_label,
        status_label=services.status_label,
    )
    return html, status


@bp.get("/demande")
def lookup() -> Any:
    if "code" not in request.args:
        return _render_lookup(values={}, errors={})
    try:
        typed = LookupSchema().load(request.args)["code"]
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return _render_lookup(values={"code": request.args.get("code", "")[:40]},
                              errors=flat_errors(messages, ("code",)), status=400)
    code = codes.normalise(typed)
    if code is None:
        return _not_found(typed)
    return redirect(url_for("help.status", code=codes.display(code)), code=303)


@bp.get("/demande/<code>")
@lookup_limit
def status(code: str) -> Any:
    database = db.session()
    found = services.find_request(database, code, current())
    if found is None:
        return _not_found(code[:40])
    school = database.get(School, found.school_id) if found.school_id is not None else None
    return render_template(
        "help/status.html",
        req=found,
        code=codes.display(found.code),
        topic=topic_label(found.topic),
        status_text=services.status_label(found.status),
        phone=masked(found.phone) if found.phone else None,
        moments=[str(services.MOMENT_LABELS[m]) for m in found.moment_list],
        language=NAMES.get(found.language, found.language),
        is_open=found.status in OPEN_STATUSES,
        just_sent=request.args.get("envoyee") == "1",
        done=request.args.get("fait", ""),
        school=school,
        who=current(),
    )


def _actor(who: Identity | None) -> tuple[str, str | None]:
    return ("parent", None) if who is None else (who.audience, who.user_id)


def _on_request(code: str, action: Callable[..., None], done: str) -> Any:
    """One of the parent's own actions on a request found by its code, in one transaction,
    then back to the status page saying what was done."""
    who = current()
    actor_kind, actor_id = _actor(who)
    with db.transaction() as tx:
        found = services.find_request(tx, code, who)
        if found is None:
            return _not_found(code[:40])
        action(tx, found, actor_kind=actor_kind, actor_id=actor_id)
        shown = codes.display(found.code)
    return redirect(url_for("help.status", code=shown, fait=done), code=303)


@bp.post("/demande/<code>/annuler")
@lookup_limit
def cancel(code: str) -> Any:
    return _on_request(code, services.cancel, "annulee")


@bp.post("/demande/<code>/effacer-numero")
@lookup_limit
def erase_phone(code: str) -> Any:
    return _on_request(code, services.erase_phone, "numero-efface")


# --- Routing rules (admins of the platform) ---


def _rule_labels() -> dict[str, str]:
    return {
        "topic": _("Sujet"),
        "language": _("Langue"),
        "school_id": _("Établissement"),
        "target": _("Qui reçoit la demande"),
        "relay_id": _("Numéro du relais"),
        "priority": _("Priorité"),
    }


def _render_routing(who: Identity, *, values: dict[str, Any], errors: dict[str, list[str]],
                    status: int = 200) -> tuple[str, int]:
    database = db.session()
    schools = list(database.scalars(
        select(School).where(School.platform_id == who.platform_id).order_by(School.name)
    ))
    rules = routing.list_rules(database, who.platform_id)
    relay_ids = {rule.relay_id for rule in rules if rule.relay_id is not None}
    relay_names = {
        row.id: row.name
        for row in database.execute(
            select(Relay.id, Relay.name).where(Relay.platform_id == who.platform_id,
                                              Relay.id.in_(relay_ids))
        )
    }
    html = render_template(
        "help/routing.html",
        rules=rules,
        school_names={s.id: s.name for s in schools},
        relay_names=relay_names,
        values=values,
        errors=errors,
        labels=_rule_labels(),
        topic_options=[("", _("Tous les sujets"))]
        + [(code, str(label)) for code, label in TOPICS.items()],
        language_options=[("", _("Toutes les langues"))]
        + [(code, NAMES.get(code, code)) for code in languages()],
        school_options=[("", _("Tous les établissements"))]
        + [(str(s.id), s.name) for s in schools],
        topic_label=topic_label,
        language_names=NAMES,
        TARGET_RELAY=TARGET_RELAY,
        TARGET_SCHOOL_CONTACT=TARGET_SCHOOL_CONTACT,
    )
    return html, status


@bp.route("/admin/routage", methods=["GET", "POST"])
@requires("admin")
def routing_admin() -> Any:
    who = current()
    assert who is not None
    if request.method == "GET":
        return _render_routing(who, values={"target": TARGET_SCHOOL_CONTACT, "priority": "0"},
                               errors={})
    values = {k: request.form.get(k, "") for k in RULE_FIELDS}
    database = db.session()
    school_ids = set(
        database.scalars(select(School.id).where(School.platform_id == who.platform_id))
    )
    try:
        data = RuleSchema(languages(), school_ids).load(dict(request.form))
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return _render_routing(who, values=values, errors=flat_errors(messages, RULE_FIELDS),
                               status=400)
    try:
        with db.transaction() as tx:
            routing.add_rule(tx, routing.RuleInput(platform_id=who.platform_id, **data))
    except routing.RoutingError:
        # The form checked all the rest: only an unknown relay can still be refused here.
        errors = {"relay_id": [_("Aucun relais ne porte ce numéro sur votre plateforme.")]}
        return _render_routing(who, values=values, errors=errors, status=400)
    return redirect(url_for("help.routing_admin"), code=303)


@bp.post("/admin/routage/<int:rule_id>/supprimer")
@requires("admin")
def routing_remove(rule_id: int) -> Response:
    who = current()
    assert who is not None
    with db.transaction() as tx:
        if not routing.remove_rule(tx, who.platform_id, rule_id):
            raise ServiceError("not_found", 404)
    return redirect(url_for("help.routing_admin"), code=303)
