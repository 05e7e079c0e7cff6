"""The admin's side of the volunteers: the kits in the platform's own words.

Routes (every one for the ``admin`` audience, scoped to the admin's platform):
  /admin/kits                      the kits, to adapt
  /admin/kits/<slug>               one kit's sections, each a text area (empty: the original)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service import db
from service.errors import ServiceError
from service.identity import requires
from service.volunteers import content, kits
from service.volunteers.people import who

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
