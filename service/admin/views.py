"""The platform admin's pages. Every one is for the ``admin`` audience and scoped to the
admin's own platform: another platform's school, token or entry is a 404, whatever its id.

Routes:
  /admin                          the admin's home: every admin page, here and elsewhere
  /admin/reglages                 name, what families use and its addresses, languages, retention
  /admin/etablissements           the schools and their contacts; add one
  /admin/etablissements/<id>      change one school
  /admin/publics                  how launches say who is a parent, a teacher, an admin
  /admin/demandes                 help requests in numbers (counts and delays, nobody named)
  /admin/journal                  the audit log
Relays (/admin/relais), events (/admin/evenements) and routing (/admin/routage) have their own
blueprints; the API tokens (/admin/jetons) live with the API.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from service import db
from service.admin import settings as platform_settings
from service.admin.schemas import AudienceSchema, SettingsSchema, form_errors
from service.admin.statistics import request_statistics
from service.errors import ServiceError
from service.help.services import CHANNEL_LABELS, STATUS_LABELS
from service.i18n import NAMES
from service.identity import Identity, current, requires
from service.launch.stores import forget_registrations
from service.privacy import audit
from service.privacy.models import as_utc, utcnow
from service.schools.models import School
from service.schools.services import SchoolSchema, create_school, normalise_phone, public_link
from service.topics import TOPICS, topic_label

bp = Blueprint("admin", __name__, url_prefix="/admin")

# (endpoint, label, what it is for, pictogram); others' pages are listed when they exist.
ENTRIES: tuple[tuple[str, object, object, str], ...] = (
    ("admin.settings", _l("Réglages de la plateforme"),
     _l("Nom, outils des familles, langues, durée de conservation"), "pen"),
    ("admin.schools", _l("Établissements"), _l("Leurs contacts et leur page publique"), "school"),
    ("admin.audience", _l("Reconnaître les publics"),
     _l("Qui est parent, enseignant ou administrateur"), "people"),
    ("directory.admin_list", _l("Annuaire des relais"), _l("Ajouter, modifier, masquer"), "pin"),
    ("help.routing_admin", _l("Routage des demandes"),
     _l("Qui reçoit les demandes d'aide"), "signpost"),
    ("events_admin.index", _l("Rendez-vous des parents"),
     _l("Cafés des parents, ateliers, stands"), "calendar"),
    ("volunteers_admin.index", _l("Parents ressource"),
     _l("Valider les inscriptions ; fiches et kits des rendez-vous"), "people"),
    ("admin.requests", _l("Demandes d'aide en chiffres"),
     _l("Combien, sur quoi, en combien de temps"), "list"),
    ("privacy.admin_person", _l("Données personnelles"),
     _l("Exporter ou effacer les données d'une personne"), "lock"),
    ("admin.journal", _l("Journal"), _l("Qui a fait quoi, et quand"), "clock"),
    ("api_admin.tokens_page", _l("Jetons d'API"), _l("Pour les systèmes de la plateforme"), "key"),
)

SETTINGS_LABELS = {
    "name": _l("Nom de la plateforme"),
    "tools": _l("Ce que les familles utilisent"),
    "ent_url": _l("Adresse de l'ENT"),
    "pronote_url": _l("Adresse de Pronote"),
    "ent_app_url": _l("Lien de l'application de l'ENT"),
    "educonnect_url": _l("Adresse d'EduConnect"),
    "languages": _l("Langues proposées aux familles"),
    "retention_days": _l("Durée de conservation (jours)"),
}
TOOL_LABELS = {
    "pronote": _l("Pronote"),
    "ent_app": _l("L'application de l'ENT"),
    "educonnect": _l("EduConnect"),
}
SCHOOL_FIELDS = ("name", "uai", "address", "postcode", "commune", "latitude", "longitude",
                 "contact_name", "contact_phone")
SCHOOL_LABELS = {
    "name": _l("Nom de l'établissement"),
    "uai": _l("Numéro UAI"),
    "address": _l("Adresse"),
    "postcode": _l("Code postal"),
    "commune": _l("Commune"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "contact_name": _l("Personne à contacter"),
    "contact_phone": _l("Téléphone de ce contact"),
}
AUDIENCE_LABELS = {
    "audience_param": _l("Nom du paramètre personnalisé du lien"),
    "parent_values": _l("Valeurs qui désignent l'espace des parents"),
    "ent_profile_claims": _l("Où lire le profil ENT"),
    "admin_profiles": _l("Profils administrateurs de Relais"),
    "teacher_profiles": _l("Profils enseignants"),
    "parent_profiles": _l("Profils parents"),
    "learner_profiles": _l("Profils élèves"),
}
PERIODS = (7, 30, 90, 365)
PARIS = ZoneInfo("Europe/Paris")


def local_time(value: datetime) -> str:
    """A stored UTC time as the admin reads it: Paris time, in their language."""
    return str(format_datetime(as_utc(value).astimezone(PARIS), "d MMM yyyy, HH:mm",
                               rebase=False))


def _admin() -> Identity:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who


@bp.app_template_global()
def admin_entries() -> list[tuple[str, str, str, str]]:
    found = current_app.view_functions
    return [(url_for(endpoint), str(label), str(hint), picto)
            for endpoint, label, hint, picto in ENTRIES if endpoint in found]


@bp.get("")
@requires("admin")
def index() -> str:
    return render_template("admin/index.html", who=_admin())


# --- settings ----------------------------------------------------------------------------------


def _settings_values(found: platform_settings.Settings) -> dict[str, Any]:
    return {
        "name": found.name,
        "retention_days": "" if found.retention_days is None else str(found.retention_days),
        "languages": list(found.languages),
        "tools": sorted(found.tools),
        **found.urls,
    }


def _render_settings(values: dict[str, Any], errors: dict[str, list[str]],
                     status: int = 200) -> tuple[str, int]:
    languages = list(current_app.config["LANGUAGES"])
    return render_template(
        "admin/settings.html",
        values=values,
        errors=errors,
        labels=SETTINGS_LABELS,
        tool_options=[(t, str(TOOL_LABELS[t])) for t in platform_settings.TOOLS]
        if platform_settings.wizard_installed() else [],
        language_options=[(c, NAMES.get(c, c)) for c in languages],
        default_retention=platform_settings.default_retention_days(),
    ), status


@bp.route("/reglages", methods=["GET", "POST"])
@requires("admin")
def settings() -> Any:
    who = _admin()
    session = db.session()
    if request.method == "GET":
        return _render_settings(_settings_values(platform_settings.read(session, who.platform_id)),
                                {})
    values: dict[str, Any] = {k: request.form.get(k, "") for k in SETTINGS_LABELS}
    values["languages"] = request.form.getlist("languages")
    values["tools"] = request.form.getlist("tools") if platform_settings.wizard_installed() else []
    try:
        clean = SettingsSchema(current_app.config["LANGUAGES"]).load(values)
    except ValidationError as error:
        return _render_settings(values, form_errors(error), 400)
    try:
        with db.transaction() as tx:
            changed = platform_settings.save(tx, who.platform_id, clean, who)
    except platform_settings.NameTaken:
        return _render_settings(values, {"name": [_("Une autre plateforme porte déjà ce nom.")]},
                                400)
    if "name" in changed:
        forget_registrations()
    platform_settings.forget_offered_languages()
    flash(_("Les réglages sont enregistrés.") if changed else _("Rien n'a changé."))
    return redirect(url_for("admin.settings"), code=303)


# --- schools -----------------------------------------------------------------------------------


def _school_or_404(who: Identity, school_id: int) -> School:
    school = db.session().get(School, school_id)
    if school is None or school.platform_id != who.platform_id:
        raise ServiceError("not_found", 404)
    return school


def _school_form() -> dict[str, str]:
    return {k: request.form.get(k, "") for k in SCHOOL_FIELDS}


def _school_values(school: School) -> dict[str, str]:
    return {k: ("" if getattr(school, k) is None else str(getattr(school, k)))
            for k in SCHOOL_FIELDS}


def _render_schools(who: Identity, values: dict[str, str], errors: dict[str, list[str]],
                    status: int = 200) -> tuple[str, int]:
    schools = db.session().scalars(
        select(School).where(School.platform_id == who.platform_id).order_by(School.name)).all()
    return render_template("admin/schools.html", schools=schools, public_link=public_link,
                           values=values, errors=errors, labels=SCHOOL_LABELS), status


@bp.route("/etablissements", methods=["GET", "POST"])
@requires("admin")
def schools() -> Any:
    who = _admin()
    if request.method == "GET":
        return _render_schools(who, {}, {})
    values = _school_form()
    try:
        school = create_school(who.platform_id, values)
    except ValidationError as error:
        return _render_schools(who, values, form_errors(error), 400)
    with db.transaction() as tx:
        audit.record(tx, who.platform_id, "school_added", who=who, target=f"school:{school.id}",
                     detail=school.name)
    flash(_("L'établissement est ajouté."))
    return redirect(url_for("admin.schools"), code=303)


@bp.route("/etablissements/<int:school_id>", methods=["GET", "POST"])
@requires("admin")
def school(school_id: int) -> Any:
    who = _admin()
    found = _school_or_404(who, school_id)
    if request.method == "GET":
        return render_template("admin/school.html", school=found, values=_school_values(found),
                               errors={}, labels=SCHOOL_LABELS, public_link=public_link)
    values = _school_form()
    try:
        clean = SchoolSchema().load(values)
        taken = db.session().scalar(select(School.id).where(
            School.platform_id == who.platform_id, School.name == clean["name"],
            School.id != found.id))
        if taken is not None:
            raise ValidationError({"name": [_("Un établissement porte déjà ce nom.")]})
    except ValidationError as error:
        page = render_template("admin/school.html", school=found, values=values,
                               errors=form_errors(error), labels=SCHOOL_LABELS,
                               public_link=public_link)
        return page, 400
    if clean.get("contact_phone"):
        clean["contact_phone"] = normalise_phone(clean["contact_phone"])
    changed = [k for k in SCHOOL_FIELDS if getattr(found, k) != clean[k]]
    if changed:
        with db.transaction() as tx:
            for key in changed:
                setattr(found, key, clean[key])
            audit.record(tx, who.platform_id, "school_changed", who=who,
                         target=f"school:{found.id}", detail=", ".join(changed))
    flash(_("L'établissement est modifié.") if changed else _("Rien n'a changé."))
    return redirect(url_for("admin.schools"), code=303)


# --- audience mapping --------------------------------------------------------------------------


def _audience_form_values(values: dict[str, Any]) -> dict[str, str]:
    return {k: (v if isinstance(v, str) else ", ".join(v)) for k, v in values.items()}


@bp.route("/publics", methods=["GET", "POST"])
@requires("admin")
def audience() -> Any:
    who = _admin()
    if request.method == "GET":
        values = platform_settings.audience_values(db.session(), who.platform_id)
        return render_template("admin/audience.html", values=_audience_form_values(values),
                               errors={}, labels=AUDIENCE_LABELS)
    values = {k: request.form.get(k, "") for k in AUDIENCE_LABELS}
    try:
        clean = AudienceSchema().load(values)
    except ValidationError as error:
        page = render_template("admin/audience.html", values=values, errors=form_errors(error),
                               labels=AUDIENCE_LABELS)
        return page, 400
    with db.transaction() as tx:
        changed = platform_settings.save_audience(tx, who.platform_id, clean, who)
    platform_settings.forget_adapter_settings()
    flash(_("La reconnaissance des publics est enregistrée. Elle vaut pour les prochaines "
            "connexions.") if changed else _("Rien n'a changé."))
    return redirect(url_for("admin.audience"), code=303)


# --- help requests in numbers ------------------------------------------------------------------


@bp.get("/demandes")
@requires("admin")
def requests() -> str:
    who = _admin()
    try:
        days = int(request.args.get("periode", "30"))
    except ValueError:
        days = 30
    if days not in PERIODS:
        days = 30
    now = utcnow()
    stats = request_statistics(db.session(), who.platform_id, now - timedelta(days=days),
                               now=now)
    return render_template(
        "admin/requests.html", stats=stats, days=days, periods=PERIODS,
        status_labels={k: str(v) for k, v in STATUS_LABELS.items()},
        channel_labels={k: str(v) for k, v in CHANNEL_LABELS.items()},
        topic_labels={k: topic_label(k) for k in TOPICS}, language_names=NAMES,
    )


# --- the audit log -----------------------------------------------------------------------------

JOURNAL_PAGE = 100


@bp.get("/journal")
@requires("admin")
def journal() -> str:
    who = _admin()
    before = request.args.get("avant", "")
    action = request.args.get("action", "")
    if action not in audit.ACTIONS:
        action = ""
    found = audit.entries(db.session(), who.platform_id, limit=JOURNAL_PAGE + 1,
                          before_id=int(before) if before.isdigit() and len(before) < 12
                          else None, action=action or None)
    rows = list(found[:JOURNAL_PAGE])
    return render_template(
        "admin/journal.html",
        rows=[(e, local_time(e.at)) for e in rows],
        more=rows[-1].id if len(found) > JOURNAL_PAGE else None,
        action=action,
        actions={k: str(v) for k, v in audit.ACTIONS.items()},
        actor_kinds={k: str(v) for k, v in audit.ACTOR_KINDS.items()},
    )
