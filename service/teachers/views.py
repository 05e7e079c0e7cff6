"""The teachers' pages, under ``/enseignant``: the deep-linking picker, the class settings and
events, the flyer and the reach dashboard. Plus the parents' page of a class in pause.

Every page reads the class from the session (the launch's platform and context id) and from
nowhere else; an event of another class is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from service import db
from service.errors import ServiceError
from service.events import services as events
from service.events.dates import when
from service.events.models import Event
from service.events.schemas import KINDS
from service.form_errors import field_errors
from service.i18n import NAMES, languages, text_direction
from service.identity import Identity, current, requires
from service.schools.services import public_link
from service.teachers import deep_linking, flyer, roster, services
from service.teachers.chart import funnel
from service.teachers.launch import DEEP_LINK_KEY
from service.teachers.reach import reach
from service.teachers.schemas import VIEWS, load_picker
from service.topics import TOPICS, topic_label

bp = Blueprint("teachers", __name__)

TEACHERS = ("teacher", "admin")

SETTINGS_LABELS = {
    "enabled": _l("Relais pour cette classe"),
    "topics": _l("Les sujets que les parents voient"),
    "shown_stages": _l("Les étapes du pas à pas que les parents voient"),
    "contact": _l("Comment joindre l'équipe de la classe"),
    "school_id": _l("L'établissement de la classe"),
    "flyer_languages": _l("Les langues de l'affiche"),
}
EVENT_LABELS = {
    "title": _l("Titre"),
    "kind": _l("Type de rendez-vous"),
    "starts_at": _l("Début"),
    "ends_at": _l("Fin"),
    "place": _l("Lieu"),
    "languages": _l("Langues parlées sur place"),
    "description": _l("Description"),
}
PICKER_LABELS = {
    "views": _l("Ce que vous ajoutez"),
    "languages": _l("Langues proposées en premier"),
    "topics": _l("Sujets d'aide affichés"),
}
VIEW_LABELS = {
    "help": (_l("Le panneau « J'ai besoin d'aide »"),
             _l("Les sujets d'aide, un guide pour chacun, et « parler à quelqu'un ».")),
    "wizard": (_l("Le pas à pas pour se connecter"),
               _l("Un parcours guidé : l'appareil, le compte, l'application, la connexion.")),
    "events": (_l("Les rendez-vous de la classe"),
               _l("Les cafés des parents, ateliers et réunions à venir.")),
}
# Names of the wizard's stages, for the settings form (the wizard names them in its content).
STAGE_LABELS = {
    "device": _l("L'appareil utilisé"),
    "email": _l("L'adresse mail"),
    "email_next": _l("Créer une adresse mail, ou faire sans"),
    "account": _l("Le compte (EduConnect ou de l'établissement)"),
    "install": _l("Installer l'application"),
    "login": _l("Se connecter"),
    "follow": _l("Suivre devoirs, notes et messages"),
    "alerts": _l("Recevoir les alertes"),
    "dates": _l("Les dates importantes de l'année"),
}
_EVENT_FIELDS = ("title", "kind", "starts_at", "ends_at", "place", "description")


# --- helpers -----------------------------------------------------------------------------------


def _teacher() -> tuple[Identity, str]:
    """The signed-in teacher and their class; the class_missing page without a class."""
    who = current()
    assert who is not None  # guaranteed by @requires
    if not who.class_id:
        raise ServiceError("class_missing", 400)
    return who, who.class_id


def _flat(messages: Any) -> dict[str, list[str]]:
    return field_errors(messages, whole_form_field="_")


def _stage_ids() -> list[str]:
    try:
        from service.onboarding.path import STAGE_IDS
    except ImportError:
        return []
    return list(STAGE_IDS)


def _class_title(who: Identity) -> str:
    return who.class_title or who.class_id or ""


# --- deep linking ------------------------------------------------------------------------------


def _pending(consume: bool = False) -> Any:
    who = current()
    assert who is not None
    found = services.take_deep_link(str(session.get(DEEP_LINK_KEY, "")), who.platform_id,
                                    who.user_id or "", consume=consume)
    if found is None:
        raise ServiceError("deep_link_expired", 400)
    return found


def _picker(pending: Any, values: dict[str, Any], errors: dict[str, list[str]] | None = None,
            status: int = 200) -> tuple[str, int]:
    return render_template(
        "teachers/picker.html",
        multiple=pending.accept_multiple,
        values=values,
        errors=errors or {},
        labels=PICKER_LABELS,
        views=[(v, *VIEW_LABELS[v]) for v in VIEWS],
        language_options=[(c, NAMES.get(c, c)) for c in languages()],
        topic_options=[(c, topic_label(c)) for c in TOPICS],
    ), status


def _post_back(pending: Any, token: str) -> str:
    return render_template("teachers/post_to_platform.html", action=pending.return_url,
                           token=token)


@bp.get("/enseignant/contenu")
@requires(*TEACHERS)
def picker() -> tuple[str, int]:
    pending = _pending()
    if not deep_linking.accepts_links(pending):
        return render_template("teachers/picker_unavailable.html",
                               types=", ".join(pending.accept_types or ()) or "—"), 200
    views = ["help"] if not pending.accept_multiple else ["help", "events"]
    return _picker(pending, {"views": views, "languages": [], "topics": list(TOPICS)})


@bp.post("/enseignant/contenu")
@requires(*TEACHERS)
def picker_send() -> str | tuple[str, int]:
    pending = _pending()
    if not deep_linking.accepts_links(pending):
        raise ServiceError("deep_linking_type_not_accepted", 400)
    form = {"views": request.form.getlist("views"),
            "languages": request.form.getlist("languages"),
            "topics": request.form.getlist("topics")}
    try:
        clean = load_picker(form, multiple=pending.accept_multiple)
    except ValidationError as error:
        return _picker(pending, form, _flat(error.messages), 400)
    chosen = deep_linking.items(clean["views"], languages=clean["languages"],
                                topics=clean["topics"])
    pending = _pending(consume=True)
    session.pop(DEEP_LINK_KEY, None)
    count = len(chosen)
    token = deep_linking.answer(
        pending, chosen,
        msg=_("Relais : %(n)s contenu ajouté.", n=count) if count == 1
        else _("Relais : %(n)s contenus ajoutés.", n=count))
    return _post_back(pending, token)


@bp.post("/enseignant/contenu/annuler")
@requires(*TEACHERS)
def picker_cancel() -> str:
    """Back to the platform with nothing added (the platform closes its dialog)."""
    pending = _pending(consume=True)
    session.pop(DEEP_LINK_KEY, None)
    errormsg = None
    if not deep_linking.accepts_links(pending):
        errormsg = _("Relais ne propose que des liens d'activité (ltiResourceLink).")
    token = deep_linking.answer(pending, [], msg=_("Rien n'a été ajouté."), errormsg=errormsg)
    return _post_back(pending, token)


# --- class settings ----------------------------------------------------------------------------


def _settings_values(row: Any, stage_ids: list[str]) -> dict[str, Any]:
    if row is None:  # nothing chosen yet: Relais on, everything shown
        return {"enabled": "yes", "topics": list(TOPICS), "shown_stages": list(stage_ids),
                "contact": "", "school_id": "", "flyer_languages": list(flyer.DEFAULT_LANGUAGES)}
    hidden = set(row.hidden_stages or ())
    return {
        "enabled": "yes" if row.enabled else "",
        "topics": list(TOPICS) if row.topics is None else list(row.topics),
        "shown_stages": [s for s in stage_ids if s not in hidden],
        "contact": row.contact,
        "school_id": str(row.school_id or ""),
        "flyer_languages": list(row.flyer_languages or flyer.DEFAULT_LANGUAGES),
    }


def _settings_page(who: Identity, values: dict[str, Any], stage_ids: list[str],
                   errors: dict[str, list[str]] | None = None,
                   status: int = 200) -> tuple[str, int]:
    schools = services.platform_schools(who.platform_id)
    return render_template(
        "teachers/settings.html",
        class_title=_class_title(who),
        values=values,
        errors=errors or {},
        labels=SETTINGS_LABELS,
        topic_options=[(c, topic_label(c)) for c in TOPICS],
        stage_options=[(s, str(STAGE_LABELS.get(s, s))) for s in stage_ids],
        schools=schools,
        school_options=[("", _("Choisissez…"))] + [(str(s.id), s.name) for s in schools],
        flyer_options=[(s.code, s.name) for s in flyer.sentences(list(flyer.SENTENCES))],
    ), status


@bp.route("/enseignant/classe", methods=["GET", "POST"])
@requires(*TEACHERS)
def settings() -> Any:
    who, class_id = _teacher()
    stage_ids = _stage_ids()
    if request.method == "GET":
        row = services.settings_of(who.platform_id, class_id)
        return _settings_page(who, _settings_values(row, stage_ids), stage_ids)
    values: dict[str, Any] = {
        "enabled": request.form.get("enabled", ""),
        "topics": request.form.getlist("topics"),
        "shown_stages": request.form.getlist("shown_stages"),
        "contact": request.form.get("contact", ""),
        "school_id": request.form.get("school_id", ""),
        "flyer_languages": request.form.getlist("flyer_languages"),
    }
    try:
        services.save_settings(who.platform_id, class_id, values, user_id=who.user_id or "",
                               stage_ids=stage_ids)
    except ValidationError as error:
        return _settings_page(who, values, stage_ids, _flat(error.messages), 400)
    flash(_("Les réglages de la classe sont enregistrés."))
    return redirect(url_for("teachers.settings"), code=303)


# --- class events ------------------------------------------------------------------------------


def _class_events(platform_id: int, class_id: str) -> list[Event]:
    """The events of this class only (not the platform's or the school's), soonest first."""
    now = datetime.now(UTC)
    return list(db.session().scalars(
        select(Event).where(Event.platform_id == platform_id, Event.class_id == class_id,
                            Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
    ))


def _events_page(who: Identity, class_id: str, values: dict[str, Any],
                 errors: dict[str, list[str]] | None = None,
                 status: int = 200) -> tuple[str, int]:
    shown = [(e, when(e.starts_at, e.ends_at), str(KINDS.get(e.kind, "")))
             for e in _class_events(who.platform_id, class_id)]
    return render_template(
        "teachers/events.html",
        class_title=_class_title(who),
        shown=shown,
        values=values,
        errors=errors or {},
        labels=EVENT_LABELS,
        kinds=[("", _("Choisissez…"))] + [(k, str(v)) for k, v in KINDS.items()],
        language_options=[(c, NAMES.get(c, c)) for c in languages()],
    ), status


@bp.route("/enseignant/rendez-vous", methods=["GET", "POST"])
@requires(*TEACHERS)
def class_events() -> Any:
    who, class_id = _teacher()
    if request.method == "GET":
        return _events_page(who, class_id, {"languages": ["fr"]})
    values: dict[str, Any] = {name: request.form.get(name, "") for name in _EVENT_FIELDS}
    values["languages"] = request.form.getlist("languages")
    try:
        # A class event: this class only, never a school's public page.
        events.create_event(who.platform_id, {**values, "class_id": class_id, "school_id": None},
                            created_by=who.user_id or "teacher")
    except ValidationError as error:
        return _events_page(who, class_id, values, _flat(error.messages), 400)
    flash(_("Le rendez-vous est ajouté pour la classe."))
    return redirect(url_for("teachers.class_events"), code=303)


@bp.post("/enseignant/rendez-vous/<int:event_id>/supprimer")
@requires(*TEACHERS)
def delete_event(event_id: int) -> Response:
    who, class_id = _teacher()
    event = events.event_of(who.platform_id, event_id)
    if event is None or event.class_id != class_id:
        raise ServiceError("not_found", 404)
    events.delete_event(who.platform_id, event_id)
    flash(_("Le rendez-vous est supprimé."))
    return redirect(url_for("teachers.class_events"), code=303)


# --- flyer -------------------------------------------------------------------------------------


@bp.get("/enseignant/affiche")
@requires(*TEACHERS)
def flyer_page() -> str:
    who, class_id = _teacher()
    row = services.settings_of(who.platform_id, class_id)
    size = request.args.get("format", "a4")
    size = size if size in flyer.FORMATS else "a4"
    school = services.class_school(who.platform_id, row)
    link = public_link(school) if school else None
    coming = events.upcoming(who.platform_id, school_id=school.id if school else None,
                             class_id=class_id, limit=flyer.EVENTS_SHOWN[size])
    return render_template(
        "teachers/flyer.html",
        size=size,
        class_title=_class_title(who),
        school=school,
        link=link,
        short_link=link.split("://", 1)[-1] if link else None,
        qr=flyer.qr_svg(link, title=_("Code QR vers %(link)s", link=link)) if link else None,
        sentences=flyer.sentences(row.flyer_languages if row else None),
        events=[(flyer.shorten(e.title, flyer.EVENT_TITLE_MAX), when(e.starts_at, e.ends_at, "fr"),
                 flyer.shorten(e.place, flyer.EVENT_PLACE_MAX)) for e in coming],
        contact=row.contact if row else "",
        several_schools=len(services.platform_schools(who.platform_id)) > 1,
    )


# --- reach dashboard ---------------------------------------------------------------------------


@bp.get("/enseignant/familles")
@requires(*TEACHERS)
def reach_page() -> str:
    who, class_id = _teacher()
    row = services.settings_of(who.platform_id, class_id)
    class_list = roster.class_list(who.platform_id, row.memberships_url if row else None)
    figures = reach(who.platform_id, class_id, class_list,
                    services.visits_of(who.platform_id, class_id))
    return render_template(
        "teachers/reach.html",
        class_title=_class_title(who),
        reach=figures,
        chart=funnel(figures.funnel, rtl=text_direction() == "rtl"),
    )


# --- parents of a class in pause ---------------------------------------------------------------


@bp.get("/classe-en-pause")
@requires("parent", *TEACHERS)
def paused() -> str:
    who = current()
    assert who is not None
    school = services.class_school(who.platform_id,
                                   services.settings_of(who.platform_id, who.class_id or ""))
    return render_template("teachers/paused.html", school=school,
                           link=public_link(school) if school else None)
