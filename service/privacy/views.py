"""The parents' privacy page, their export and erasure, and the admin's page for one person.

Routes:
  /confidentialite                       what is kept, why, how long, who sees it (plain words)
  /confidentialite/mes-donnees.json      a parent downloads everything kept about them
  /confidentialite/effacer               a parent erases everything kept about them
  /e/<slug>/confidentialite              the same words on the school's public page
  /admin/donnees-personnelles            an admin exports or erases one person's data
Every export is written to the audit log; so is every erasure, without saying whose.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service import db
from service.admin.settings import retention_days
from service.errors import ServiceError
from service.help import codes as help_codes
from service.help.phones import PhoneError, to_e164
from service.identity import Identity, current, requires
from service.privacy import automatic, services
from service.privacy.cli import commands
from service.privacy.services import Person
from service.schools.public import school_or_404

bp = Blueprint("privacy", __name__, cli_group=None)
for _command in commands:
    bp.cli.add_command(_command)

PERSON_LABELS = {
    "user_id": _l("Identifiant de la personne sur la plateforme (LTI)"),
    "code": _l("Référence d'une demande"),
    "phone": _l("Numéro de téléphone"),
    "confirm": _l("Confirmation"),
}


@bp.before_app_request
def _purge_when_due() -> None:
    automatic.maybe_purge()


def _who() -> Identity:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who


def _json_download(data: dict[str, Any], filename: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- parents -----------------------------------------------------------------------------------


@bp.get("/confidentialite")
@requires("parent", "teacher", "admin")
def page() -> str:
    who = _who()
    session = db.session()
    mine = None
    if who.audience == "parent" and who.user_id:
        mine = services.counts(session, Person(who.platform_id, user_id=who.user_id))
    return render_template("privacy/page.html", who=who, school=None, mine=mine,
                           days=retention_days(session, who.platform_id))


@bp.get("/e/<slug>/confidentialite")
def public_page(slug: str) -> str:
    school = school_or_404(slug)
    return render_template("privacy/page.html", who=None, school=school, mine=None,
                           days=retention_days(db.session(), school.platform_id))


@bp.get("/confidentialite/mes-donnees.json")
@requires("parent")
def my_data() -> Response:
    who = _who()
    if not who.user_id:
        raise ServiceError("not_found", 404)
    with db.transaction() as tx:
        data = services.export(tx, Person(who.platform_id, user_id=who.user_id), who=who)
    return _json_download(data, "relais-mes-donnees.json")


@bp.route("/confidentialite/effacer", methods=["GET", "POST"])
@requires("parent")
def erase_mine() -> Any:
    who = _who()
    if not who.user_id:
        raise ServiceError("not_found", 404)
    person = Person(who.platform_id, user_id=who.user_id)
    if request.method == "GET":
        return render_template("privacy/erase.html", mine=services.counts(db.session(), person))
    with db.transaction() as tx:
        services.erase(tx, person, who=who)
    return render_template("privacy/erased.html")


# --- the admin, for one person -----------------------------------------------------------------


def _person_from_form(who: Identity, form: dict[str, str]) -> tuple[Person, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    user_id = form.get("user_id", "").strip()
    code = form.get("code", "").strip()
    phone = form.get("phone", "").strip()
    if len(user_id) > 255 or not user_id.isprintable():
        errors["user_id"] = [_("Un identifiant de 255 caractères au plus.")]
    if code and help_codes.normalise(code) is None:
        errors["code"] = [_("Une référence comme K7QM-3XDA.")]
    e164 = None
    if phone:
        try:
            e164 = to_e164(phone)
        except PhoneError:
            errors["phone"] = [_("Ce numéro de téléphone n'est pas valable.")]
    if not (user_id or code or phone) and not errors:
        errors["user_id"] = [_("Donnez au moins l'un des trois : identifiant, référence ou "
                               "numéro.")]
    person = Person(who.platform_id, user_id=user_id or None, phone=e164,
                    code=help_codes.normalise(code) if code else None)
    return person, errors


@bp.route("/admin/donnees-personnelles", methods=["GET", "POST"])
@requires("admin")
def admin_person() -> Any:
    who = _who()
    if request.method == "GET":
        return render_template("privacy/admin_person.html", values={}, errors={},
                               labels=PERSON_LABELS)
    values = {k: request.form.get(k, "") for k in ("user_id", "code", "phone", "confirm")}
    action = request.form.get("action", "")
    person, errors = _person_from_form(who, values)
    if action == "erase" and values["confirm"] != "yes":
        errors["confirm"] = [_("Cochez la case pour confirmer l'effacement.")]
    if action not in ("export", "erase"):
        errors.setdefault("user_id", [_("Choisissez : exporter ou effacer.")])
    if errors:
        page = render_template("privacy/admin_person.html", values=values, errors=errors,
                               labels=PERSON_LABELS)
        return page, 400
    if action == "export":
        with db.transaction() as tx:
            data = services.export(tx, person, who=who)
        return _json_download(data, "relais-donnees-personne.json")
    with db.transaction() as tx:
        erased = services.erase(tx, person, who=who)
    flash(_("Effacé : %(what)s.", what=str(erased)))
    return redirect(url_for("privacy.admin_person"), code=303)
