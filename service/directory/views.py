"""Pages of the directory: "go and see someone" for parents (in the ENT and on the school's
public page), and the admins' plain list/edit page. The ``relais relays`` commands ride on
this blueprint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from service.directory import labels
from service.directory.cli import relays
from service.directory.models import ACCESS_MODES, KINDS
from service.directory.search import Place, RelayResult, locate, nearest
from service.directory.services import (
    RelayInvalid,
    create_relay,
    form_values,
    get_relay,
    list_relays,
    set_active,
    update_relay,
)
from service.identity import Identity, current, requires
from service.schools.models import School
from service.schools.public import school_or_404

bp = Blueprint("directory", __name__, cli_group=None)
bp.cli.add_command(relays)

RESULTS = 20


@dataclass(frozen=True, slots=True)
class SearchForm:
    q: str = ""
    language: str = ""
    free: bool = False
    family: bool = False
    accessible: bool = False

    @classmethod
    def from_args(cls) -> SearchForm:
        args = request.args
        language = args.get("langue", "")
        return cls(
            q=args.get("q", "").strip()[:120],
            language=language if language in labels.SEARCH_LANGUAGES else "",
            free=args.get("gratuit") == "oui",
            family=args.get("familles") == "oui",
            accessible=args.get("accessible") == "oui",
        )

    def results(self, platform_id: int, place: Place) -> list[RelayResult]:
        return nearest(
            platform_id, lat=place.latitude, lon=place.longitude, limit=RESULTS,
            languages=(self.language,) if self.language else (), free_only=self.free,
            family=self.family, accessible=self.accessible,
        )


def _page(*, audience: str, platform_id: int, form: SearchForm, place: Place | None,
          school: School | None = None) -> str:
    results = form.results(platform_id, place) if place else []
    return render_template(
        "directory/search.html", audience=audience, form=form, place=place, school=school,
        results=results, not_found=bool(form.q) and place is None, labels=labels,
        km=lambda d: format_decimal(d, format="#,##0.#"),
    )


@bp.get("/aide/relais")
@requires("parent", "teacher", "admin")
def parent_search() -> str:
    """Relays near what the parent typed (the ENT does not tell where the family lives)."""
    who = _who()
    form = SearchForm.from_args()
    place = locate(who.platform_id, form.q) if form.q else None
    return _page(audience=who.audience, platform_id=who.platform_id, form=form, place=place)


@bp.get("/e/<slug>/relais")
def public_search(slug: str) -> str:
    """No login: the relays of the school's platform, near the school unless a postcode or a
    commune is typed."""
    school = school_or_404(slug)
    form = SearchForm.from_args()
    if form.q:
        place = locate(school.platform_id, form.q)
    else:
        place = school_place(school)
    return _page(audience="public", platform_id=school.platform_id, form=form, place=place,
                 school=school)


def school_place(school: School) -> Place | None:
    """Where a school is: its coordinates, else the centre of its postcode or commune."""
    if school.latitude is not None and school.longitude is not None:
        return Place(school.latitude, school.longitude, school.name, "school")
    found = locate(school.platform_id, f"{school.postcode} {school.commune}".strip())
    if found is None:
        return None
    return Place(found.latitude, found.longitude, school.name, found.precision)


# --- Admin -----------------------------------------------------------------------------------

FIELD_LABELS = {
    "kind": _l("Type de relais"),
    "name": _l("Nom"),
    "address": _l("Adresse"),
    "postcode": _l("Code postal"),
    "commune": _l("Commune"),
    "phone": _l("Téléphone"),
    "email": _l("Adresse e-mail publique"),
    "website": _l("Site web"),
    "appointment_url": _l("Lien pour prendre rendez-vous"),
    "opening_hours": _l("Horaires"),
    "access": _l("Comment venir"),
    "languages": _l("Langues parlées"),
    "fees": _l("Tarif"),
    "family": _l("Aide les parents"),
    "accessible": _l("Accessible"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "summary": _l("En quelques mots"),
}


def _who() -> Identity:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who


@bp.get("/admin/relais")
@requires("admin")
def admin_list() -> str:
    who = _who()
    q = request.args.get("q", "").strip()[:100]
    try:
        page = max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    listing = list_relays(who.platform_id, q=q, page=page)
    return render_template("directory/admin_list.html", listing=listing, q=q, labels=labels)


def _submitted() -> dict[str, Any]:
    """The posted form as the template shows it back."""
    values: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    values["access"] = request.form.getlist("access")
    values["languages"] = request.form.getlist("languages")
    return values


def _form_page(values: dict[str, Any], errors: dict[str, list[str]], *,
               relay_id: int | None = None, active: bool = True) -> str:
    language_codes = list(labels.SEARCH_LANGUAGES)
    language_codes += [c for c in values.get("languages", []) if c not in language_codes]
    return render_template(
        "directory/admin_form.html", values=values, errors=errors, relay_id=relay_id,
        active=active, field_labels=FIELD_LABELS,
        kind_options=[(k, labels.KINDS[k]) for k in KINDS],
        access_options=[(m, labels.ACCESS[m]) for m in ACCESS_MODES],
        language_options=[(c, labels.language_name(c)) for c in language_codes],
        fee_options=[("", _l("Je ne sais pas")), *labels.FEES.items()],
    )


@bp.route("/admin/relais/nouveau", methods=["GET", "POST"])
@requires("admin")
def admin_new() -> Any:
    who = _who()
    if request.method == "POST":
        try:
            relay = create_relay(who.platform_id, request.form)
        except RelayInvalid as invalid:
            return _form_page(_submitted(), invalid.errors), 400
        return redirect(url_for(".admin_list", q=relay.name), code=303)
    defaults = {"kind": "parent_ressource", "fees": "free", "family": True}
    return _form_page(defaults, {})


@bp.route("/admin/relais/<int:relay_id>", methods=["GET", "POST"])
@requires("admin")
def admin_edit(relay_id: int) -> Any:
    who = _who()
    relay = get_relay(who.platform_id, relay_id)  # 404 for another platform's relay
    if request.method == "POST":
        try:
            update_relay(who.platform_id, relay_id, request.form)
        except RelayInvalid as invalid:
            return _form_page(_submitted(), invalid.errors, relay_id=relay_id,
                              active=relay.active), 400
        return redirect(url_for(".admin_list", q=relay.name), code=303)
    return _form_page(form_values(relay), {}, relay_id=relay_id, active=relay.active)


@bp.post("/admin/relais/<int:relay_id>/etat")
@requires("admin")
def admin_set_active(relay_id: int) -> Response:
    who = _who()
    relay = set_active(who.platform_id, relay_id, request.form.get("active") == "1")
    return redirect(url_for(".admin_list", q=relay.name), code=303)  # type: ignore[return-value]
