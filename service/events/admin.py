"""The platform admin's events page (``/admin/evenements``): list, add, change, delete.

Scoped to the admin's platform: another platform's event is a 404, whatever its id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from service.errors import ServiceError
from service.events import services
from service.events.dates import input_value, when
from service.events.models import Event
from service.events.schemas import KINDS
from service.form_errors import field_errors
from service.i18n import NAMES, languages
from service.identity import Identity, current, requires
from service.schools.services import schools_of

bp = Blueprint("events_admin", __name__, url_prefix="/admin/evenements")

LABELS = {
    "title": _l("Titre"),
    "kind": _l("Type de rendez-vous"),
    "starts_at": _l("Début"),
    "ends_at": _l("Fin"),
    "place": _l("Lieu"),
    "languages": _l("Langues parlées sur place"),
    "description": _l("Description"),
    "school_id": _l("Établissement"),
}
_PAST_SHOWN = 20
FIELDS = ("title", "kind", "starts_at", "ends_at", "place", "description", "school_id")


def _admin() -> Identity:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who


def _form_values() -> dict[str, Any]:
    values: dict[str, Any] = {name: request.form.get(name, "") for name in FIELDS}
    values["languages"] = request.form.getlist("languages")
    return values


def _values_of(event: Event) -> dict[str, Any]:
    return {
        "title": event.title,
        "kind": event.kind,
        "starts_at": input_value(event.starts_at),
        "ends_at": input_value(event.ends_at),
        "place": event.place,
        "description": event.description,
        "school_id": str(event.school_id or ""),
        "languages": list(event.languages or []),
    }


def _flat(messages: Any) -> dict[str, list[str]]:
    return field_errors(messages, whole_form_field="title")


def _form(who: Identity, *, event: Event | None, values: dict[str, Any],
          errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    schools = [("", _("Toute la plateforme"))] + [
        (str(s.id), s.name) for s in schools_of(who.platform_id)
    ]
    return render_template(
        "events/admin_form.html",
        event=event,
        values=values,
        errors=errors or {},
        labels=LABELS,
        kinds=[("", _("Choisissez…"))] + [(k, str(v)) for k, v in KINDS.items()],
        schools=schools,
        language_options=[(code, NAMES.get(code, code)) for code in languages()],
    ), status


@bp.get("")
@requires("admin")
def index() -> str:
    who = _admin()
    schools = {s.id: s.name for s in schools_of(who.platform_id)}
    now = datetime.now(UTC)
    coming, past = [], []
    for e in services.events_of(who.platform_id):  # latest first
        row = (e, when(e.starts_at, e.ends_at), schools.get(e.school_id or -1))
        (coming if e.ends_at > now else past).append(row)
    return render_template(
        "events/admin_list.html",
        coming=coming[::-1],  # soonest first
        past=past[:_PAST_SHOWN],
        kinds=KINDS,
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("admin")
def new() -> Any:
    who = _admin()
    if request.method == "GET":
        return _form(who, event=None, values={"languages": ["fr"]})
    values = _form_values()
    try:
        services.create_event(who.platform_id, values, created_by=who.user_id or "admin")
    except ValidationError as error:
        return _form(who, event=None, values=values, errors=_flat(error.messages), status=400)
    flash(_("Le rendez-vous est ajouté."))
    return redirect(url_for("events_admin.index"), code=303)


@bp.route("/<int:event_id>", methods=["GET", "POST"])
@requires("admin")
def edit(event_id: int) -> Any:
    who = _admin()
    event = services.event_of(who.platform_id, event_id)
    if event is None:
        raise ServiceError("not_found", 404)
    if request.method == "GET":
        return _form(who, event=event, values=_values_of(event))
    values = _form_values()
    try:
        services.update_event(who.platform_id, event_id, values)
    except ValidationError as error:
        return _form(who, event=event, values=values, errors=_flat(error.messages), status=400)
    flash(_("Le rendez-vous est modifié."))
    return redirect(url_for("events_admin.index"), code=303)


@bp.route("/<int:event_id>/supprimer", methods=["GET", "POST"])
@requires("admin")
def delete(event_id: int) -> str | Response:
    who = _admin()
    event = services.event_of(who.platform_id, event_id)
    if event is None:
        raise ServiceError("not_found", 404)
    if request.method == "GET":
        return render_template("events/admin_delete.html", event=event,
                               when=when(event.starts_at, event.ends_at))
    services.delete_event(who.platform_id, event_id)
    flash(_("Le rendez-vous est supprimé."))
    return redirect(url_for("events_admin.index"), code=303)
