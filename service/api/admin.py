"""``/admin/jetons``: the platform's API tokens. An admin names one, sees it once, revokes it.

Scoped to the admin's platform: another platform's token is a 404, whatever its id.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service import db
from service.admin.views import local_time
from service.api import tokens
from service.errors import ServiceError
from service.identity import Identity, current, requires

bp = Blueprint("api_admin", __name__, url_prefix="/admin/jetons")
LABELS = {"name": _l("Nom du jeton")}


def _admin() -> Identity:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who


def _render(who: Identity, values: dict[str, str], errors: dict[str, list[str]],
            secret: str | None = None, status: int = 200) -> tuple[str, int]:
    rows = tokens.tokens_of(db.session(), who.platform_id)
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    return render_template("api/tokens.html", rows=rows, values=values, errors=errors,
                           labels=LABELS, secret=secret, local_time=local_time,
                           api_url=f"{base}/api/v1",
                           openapi_url=f"{base}/api/v1/openapi.json"), status


@bp.route("", methods=["GET", "POST"])
@requires("admin")
def tokens_page() -> Any:
    who = _admin()
    if request.method == "GET":
        return _render(who, {}, {})
    name = request.form.get("name", "").strip()
    values = {"name": name}
    if not 2 <= len(name) <= 100 or not name.isprintable() or "<" in name or ">" in name:
        return _render(who, values, {"name": [_("Un nom de 2 à 100 caractères, par exemple "
                                                 "« Annuaire de l'ENT ».")]}, status=400)
    with db.transaction() as tx:
        _token, secret = tokens.create_token(tx, who.platform_id, name, who)
    # Shown once, in this answer only: never stored, never put in a URL or a flash cookie.
    return _render(who, {}, {}, secret=secret, status=201)


@bp.post("/<int:token_id>/revoquer")
@requires("admin")
def revoke(token_id: int) -> Any:
    who = _admin()
    with db.transaction() as tx:
        if not tokens.revoke(tx, who.platform_id, token_id, who):
            raise ServiceError("not_found", 404)
    flash(_("Le jeton est révoqué : il ne donne plus accès à rien."))
    return redirect(url_for("api_admin.tokens_page"), code=303)
