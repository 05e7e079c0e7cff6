"""The next events, in the ENT (``/rendez-vous``) and on a school's public page
(``/e/<slug>/rendez-vous``): date in plain words, place, languages, "J'y serai" and
"Ajouter à mon agenda".

"J'y serai" adds one to a counter and remembers, in the session only, that this browser already
said so: no name, no id, no address is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from service.errors import ServiceError
from service.events import services
from service.events.dates import when
from service.events.ics import calendar
from service.events.models import Event
from service.events.schemas import KINDS
from service.i18n import NAMES
from service.identity import current, requires
from service.schools.models import School
from service.schools.public import school_or_404

bp = Blueprint("events", __name__)

ENT_AUDIENCES = ("parent", "teacher", "admin")
_GOING_KEY = "going"
_GOING_KEEP = 50  # event ids remembered per browser: bounds the cookie


@dataclass(frozen=True)
class Shown:
    """One event as a page shows it."""

    event: Event
    when: str
    kind: str
    languages: list[tuple[str, str]]
    ics_url: str
    going_url: str
    going: bool


def _shown(events: list[Event], ics: str, going: str, **args: Any) -> list[Shown]:
    said = set(session.get(_GOING_KEY, []))
    locale = str(get_locale() or "fr")
    return [
        Shown(
            event=e,
            when=when(e.starts_at, e.ends_at, locale),
            kind=str(KINDS.get(e.kind, "")),
            languages=[(code, NAMES.get(code, code)) for code in e.languages or []],
            ics_url=url_for(ics, event_id=e.id, **args),
            going_url=url_for(going, event_id=e.id, **args),
            going=e.id in said,
        )
        for e in events
    ]


def _say_going(event: Event) -> None:
    said = [i for i in session.get(_GOING_KEY, []) if isinstance(i, int)]
    if event.id in said or event.ends_at <= datetime.now(UTC):
        return  # count once per browser, and never for an event that is over
    services.count_going(event.id)
    session[_GOING_KEY] = [*said, event.id][-_GOING_KEEP:]


def _ics(event: Event, page_url: str) -> Response:
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    text = event.description
    if event.languages:
        spoken = ", ".join(NAMES.get(code, code) for code in event.languages)
        text = (text + "\n\n" if text else "") + _("On y parle : %(languages)s", languages=spoken)
    body = calendar(event, host=urlsplit(base).hostname or "relais", url=base + page_url,
                    description=text)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="rendez-vous-{event.id}.ics"'},
    )


# --- In the ENT -------------------------------------------------------------------------------

def _who_scope() -> tuple[int, int | None, str | None, str]:
    who = current()
    assert who is not None  # guaranteed by @requires
    return who.platform_id, services.ent_school_id(who.platform_id), who.class_id, who.audience


@bp.get("/rendez-vous")
@requires(*ENT_AUDIENCES)
def ent_list() -> str:
    platform_id, school_id, class_id, audience = _who_scope()
    events = services.upcoming(platform_id, school_id=school_id, class_id=class_id)
    return render_template(
        "events/list.html",
        audience=audience,
        school=None,
        shown=_shown(events, "events.ent_ics", "events.ent_going"),
        back_url=url_for("home.home"),
    )


@bp.get("/rendez-vous/<int:event_id>.ics")
@requires(*ENT_AUDIENCES)
def ent_ics(event_id: int) -> Response:
    platform_id, school_id, class_id, _audience = _who_scope()
    event = services.visible_event(event_id, platform_id, school_id=school_id, class_id=class_id)
    if event is None:
        raise ServiceError("not_found", 404)
    return _ics(event, url_for("events.ent_list"))


@bp.post("/rendez-vous/<int:event_id>/j-y-serai")
@requires(*ENT_AUDIENCES)
def ent_going(event_id: int) -> Response:
    platform_id, school_id, class_id, _audience = _who_scope()
    event = services.visible_event(event_id, platform_id, school_id=school_id, class_id=class_id)
    if event is None:
        raise ServiceError("not_found", 404)
    _say_going(event)
    return redirect(url_for("events.ent_list", _anchor=f"rdv-{event.id}"), code=303)


# --- On the school's public page (no login) ------------------------------------------------

def _public_event(school: School, event_id: int) -> Event:
    event = services.visible_event(event_id, school.platform_id, school_id=school.id)
    if event is None:
        raise ServiceError("not_found", 404)
    return event


@bp.get("/e/<slug>/rendez-vous")
def public_list(slug: str) -> str:
    school = school_or_404(slug)
    events = services.upcoming(school.platform_id, school_id=school.id)
    return render_template(
        "events/list.html",
        audience="public",
        school=school,
        shown=_shown(events, "events.public_ics", "events.public_going", slug=school.slug),
        back_url=f"/e/{school.slug}",
    )


@bp.get("/e/<slug>/rendez-vous/<int:event_id>.ics")
def public_ics(slug: str, event_id: int) -> Response:
    school = school_or_404(slug)
    return _ics(_public_event(school, event_id), url_for("events.public_list", slug=school.slug))


@bp.post("/e/<slug>/rendez-vous/<int:event_id>/j-y-serai")
def public_going(slug: str, event_id: int) -> Response:
    school = school_or_404(slug)
    event = _public_event(school, event_id)
    _say_going(event)
    return redirect(
        url_for("events.public_list", slug=school.slug, _anchor=f"rdv-{event.id}"), code=303
    )
