"""The admin's side of the volunteers: approving parents ressource, and the kits in the
platform's own words.

Routes (every one for the ``admin`` audience, scoped to the admin's platform: another
platform's volunteer is a 404, whatever its id):
  /admin/benevoles                 offers to approve, active and paused volunteers
  /admin/benevoles/<id>            one volunteer: approve or decline an offer; their link
  /admin/benevoles/<id>/accepter   (POST) yes: a relay with their inbox link, shown once
  /admin/benevoles/<id>/refuser    (POST) no: the offer is erased
  /admin/benevoles/<id>/retirer    (POST) a volunteer stops: their data is erased
  /admin/kits                      the kits, to adapt
  /admin/kits/<slug>               one kit's sections, each a text area (empty: the original)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from service import db
from service.errors import ServiceError
from service.help.schemas import flat_errors
from service.identity import requires
from service.topics import TOPICS, topic_label
from service.volunteers import content, kits, services
from service.volunteers.models import Volunteer, as_utc
from service.volunteers.people import who
from service.volunteers.schemas import (
    APPROVE_FIELDS,
    LINK_DURATIONS,
    ApproveSchema,
    suggested_topics,
)
from service.volunteers.views import EASE_LABELS, described

bp = Blueprint("volunteers_admin", __name__, url_prefix="/admin")

# What each layout expects in a kit's text area, and why a text does not fit.
LAYOUT_HINTS: dict[str, object] = {
    "lead": _l("La première ligne s'imprime en gros."),
    "text": _l("Un paragraphe par ligne."),
    "list": _l("Une idée par ligne."),
    "steps": _l("Une étape par ligne, dans l'ordre."),
    "checklist": _l("Une chose à préparer par ligne."),
    "signin": _l("Ces lignes s'impriment au-dessus du tableau des prénoms."),
    "poster": _l("Des phrases courtes : elles s'impriment en très gros."),
    "card": _l("Une étape par ligne."),
    "cards": _l("Une question sur une ligne, sa réponse sur la ligne suivante."),
}
PROBLEMS: dict[str, object] = {
    "too_many_lines": _l("Trop de lignes pour que la page tienne : %(max)s au plus."),
    "line_too_long": _l("Une ligne est trop longue : %(chars)s caractères au plus par ligne."),
    "cards_unpaired": _l("Il manque une réponse : chaque question a sa réponse sur la ligne "
                         "suivante."),
    "too_long": _l("Ce texte est trop long."),
}


DURATION_LABELS: dict[str, object] = {"90d": _l("3 mois"), "180d": _l("6 mois"),
                                      "366d": _l("1 an")}


# --- volunteers -------------------------------------------------------------------------------


def _volunteer_or_404(volunteer_id: int) -> Volunteer:
    found = services.get(db.session(), who().platform_id, volunteer_id)
    if found is None:
        raise ServiceError("not_found", 404)
    return found


def _day(volunteer: Volunteer) -> str:
    return as_utc(volunteer.created_at).strftime("%d/%m/%Y")


@bp.get("/benevoles")
@requires("admin")
def index() -> str:
    found = services.listing(db.session(), who().platform_id)
    rows = {status: [(v, described(v), _day(v)) for v in volunteers]
            for status, volunteers in found.items()}
    return render_template("volunteers/admin_index.html", who=who(), rows=rows)


def _render_volunteer(volunteer: Volunteer, *, values: dict[str, Any] | None = None,
                      errors: dict[str, list[str]] | None = None, status: int = 200
                      ) -> tuple[str, int]:
    facts = services.facts(volunteer)
    relay = services.relay_of(db.session(), volunteer)
    return render_template(
        "volunteers/admin_volunteer.html", who=who(), volunteer=volunteer,
        facts=described(volunteer), relay=relay, day=_day(volunteer),
        values=values or {"topics": suggested_topics(facts["at_ease"]), "lasts": "180d"},
        errors=errors or {},
        labels={"topics": _("Lui envoyer les demandes d'aide sur"),
                "lasts": _("Son lien vers la boîte marche pendant")},
        topic_options=[(t, topic_label(t)) for t in TOPICS],
        durations=[(d, str(DURATION_LABELS[d])) for d in LINK_DURATIONS],
        ease_words=", ".join(str(EASE_LABELS[e]) for e in facts["at_ease"] if e in EASE_LABELS),
    ), status


@bp.get("/benevoles/<int:volunteer_id>")
@requires("admin")
def volunteer(volunteer_id: int) -> Any:
    return _render_volunteer(_volunteer_or_404(volunteer_id))


@bp.post("/benevoles/<int:volunteer_id>/accepter")
@requires("admin")
def approve(volunteer_id: int) -> Any:
    found = _volunteer_or_404(volunteer_id)
    if found.status != "pending":
        return redirect(url_for("volunteers_admin.volunteer", volunteer_id=found.id), code=303)
    try:
        data = ApproveSchema().load(request.form)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        values = {"topics": request.form.getlist("topics"),
                  "lasts": str(request.form.get("lasts", ""))[:10]}
        return _render_volunteer(found, values=values,
                                 errors=flat_errors(messages, APPROVE_FIELDS), status=400)
    ease = [str(EASE_LABELS[e]) for e in services.facts(found)["at_ease"] if e in EASE_LABELS]
    with db.transaction() as tx:
        approved = services.approve(
            tx, found, topics=data["topics"], lasts=timedelta(days=int(data["lasts"][:-1])),
            summary=_("Parent ressource. À l'aise avec : %(things)s", things=", ".join(ease)))
        first_name, relay_id = approved.volunteer.first_name, approved.relay.id
    link = None
    if approved.token:
        from service.relays.access import link_url

        link = link_url(approved.token)
    response = Response(render_template(
        "volunteers/admin_approved.html", who=who(), first_name=first_name, link=link,
        relay_id=relay_id, topics=[topic_label(t) for t in data["topics"]],
        lasts=str(DURATION_LABELS[data["lasts"]])))
    # The link is shown once: no copy of the page in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/benevoles/<int:volunteer_id>/refuser")
@requires("admin")
def decline(volunteer_id: int) -> Response:
    with db.transaction() as tx:
        found = _volunteer_or_404(volunteer_id)
        if found.status == "pending":
            services.decline(tx, found)
            flash(_("La proposition est effacée. Pensez à le dire à la personne, avec un "
                    "mot gentil."))
    return redirect(url_for("volunteers_admin.index"), code=303)  # type: ignore[return-value]


@bp.post("/benevoles/<int:volunteer_id>/retirer")
@requires("admin")
def remove(volunteer_id: int) -> Response:
    with db.transaction() as tx:
        found = _volunteer_or_404(volunteer_id)
        services.leave(tx, found)
    flash(_("Ce parent ressource est retiré, et ses informations sont effacées. Les demandes "
            "qu'il suivait attendent quelqu'un d'autre."))
    return redirect(url_for("volunteers_admin.index"), code=303)  # type: ignore[return-value]


# --- kits -------------------------------------------------------------------------------------


def _problem(code: str, layout: str) -> str:
    return str(PROBLEMS[code]) % {"max": content.MAX_LINES[layout], "chars": content.LINE_MAX}


@bp.get("/kits")
@requires("admin")
def kits_list() -> str:
    shelf = content.shelf()
    shown = [shelf.kits[content.DEFAULT_LOCALE][slug] for slug in content.KITS]
    own = {slug: kits.overrides(db.session(), who().platform_id, slug) for slug in content.KITS}
    return render_template("volunteers/admin_kits.html", who=who(), kits=shown, own=own)


def _kit_or_404(slug: str) -> content.Kit:
    if slug not in content.KITS:
        raise ServiceError("not_found", 404)
    return content.shelf().kits[content.DEFAULT_LOCALE][slug]


def _render_kit(kit: content.Kit, values: dict[str, str], errors: dict[str, list[str]],
                status: int = 200) -> tuple[str, int]:
    return render_template(
        "volunteers/admin_kit.html", who=who(), kit=kit, values=values, errors=errors,
        labels={s.key: s.title for s in kit.sections},
        hints={s.key: str(LAYOUT_HINTS[s.layout]) for s in kit.sections},
        own=kits.overrides(db.session(), who().platform_id, kit.slug),
    ), status


@bp.route("/kits/<slug>", methods=["GET", "POST"])
@requires("admin")
def kit(slug: str) -> Any:
    found = _kit_or_404(slug)
    person = who()
    if request.method == "GET":
        return _render_kit(found, kits.form_values(db.session(), person.platform_id, slug), {})
    keys = {s.key for s in found.sections}
    values = {k: str(v)[:content.LINE_MAX * 40] for k, v in request.form.items() if k in keys}
    if request.form.get("reset") in keys:
        values[str(request.form["reset"])] = ""
    with db.transaction() as tx:
        saved = kits.save(tx, person.platform_id, slug, values)
    if saved.errors:
        layouts = {s.key: s.layout for s in found.sections}
        errors = {k: [_problem(code, layouts[k])] for k, code in saved.errors.items()}
        shown = {**kits.form_values(db.session(), person.platform_id, slug), **values}
        return _render_kit(found, shown, errors, 400)
    flash(_("Le kit est enregistré. Il s'imprime désormais ainsi pour vos rendez-vous.")
          if saved.changed else _("Rien n'a changé."))
    return redirect(url_for("volunteers_admin.kit", slug=slug), code=303)
