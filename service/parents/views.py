"""The parents' help: the panel of topics, one guide per topic, "talk to someone", and the
public help page of each school (no login: the parents who most need help cannot log in yet).

Inside the ENT the pages know the platform (its links); on the public page the school is the
tenant, found by its slug only, and the pages ask for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale

from service.identity import current, requires
from service.parents.guides import library
from service.parents.links import platform_links
from service.schools.models import School
from service.schools.public import school_or_404
from service.teachers.services import class_view
from service.topics import CONNECTION_TOPICS, TOPICS, topic_label

bp = Blueprint("parents", __name__)

# Teachers and admins open the parents' pages to see what parents see.
VIEWERS = ("parent", "teacher", "admin")

# The pictogram beside each topic (shapes in templates/pictos/).
TOPIC_PICTOS = {
    "connect_ent": "login",
    "forgot_password": "key",
    "create_email": "mail",
    "install_app": "app",
    "follow_schoolwork": "book",
    "contact_teacher": "chat",
    "bourse": "euro",
    "orientation": "signpost",
    "parcoursup": "cap",
    "other": "dots",
}


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """Templates link to another feature only once it exists: no dead link."""
    return name in current_app.view_functions


def _topic_or_404(topic: str) -> str:
    if topic not in TOPICS:
        abort(404)
    return topic


def _asked_topic() -> str | None:
    topic = request.args.get("topic", "")
    return topic if topic in TOPICS else None


def _topics(codes: Iterable[str] = TOPICS) -> list[tuple[str, str, str]]:
    """(code, label, pictogram) for each topic, in the parents' order."""
    return [(code, topic_label(code), TOPIC_PICTOS[code]) for code in codes]


def _render_guide(topic: str, platform_id: int | None, school: School | None) -> str:
    guide, fallback = library().find(topic, str(get_locale()))
    if guide is None:
        abort(404)
    return render_template(
        "parents/guide.html",
        guide=guide,
        fallback=fallback,
        topic=topic,
        links=platform_links(platform_id, guide.links),
        school=school,
    )


@bp.get("/aide")
@requires(*VIEWERS)
def help_panel() -> str:
    who = current()
    # The class's teacher may have chosen which topics its parents see first and only.
    shown = class_view(who.platform_id, who.class_id).topics if who else tuple(TOPICS)
    return render_template("parents/help.html", topics=_topics(shown), who=who)


@bp.get("/aide/parler")
@requires(*VIEWERS)
def talk() -> str:
    topic = _asked_topic()
    return render_template("parents/talk.html", topic=topic,
                           topic_name=topic_label(topic) if topic else None, school=None)


@bp.get("/aide/<topic>")
@requires(*VIEWERS)
def guide(topic: str) -> str:
    who = current()
    return _render_guide(_topic_or_404(topic), who.platform_id if who else None, None)


@bp.get("/e/<slug>")
def school_page(slug: str) -> str:
    school = school_or_404(slug)
    connection = _topics(CONNECTION_TOPICS)
    others = _topics(code for code in TOPICS if code not in CONNECTION_TOPICS)
    return render_template("parents/school.html", school=school, connection=connection,
                           others=others)


@bp.get("/e/<slug>/aide/<topic>")
def school_guide(slug: str, topic: str) -> str:
    school = school_or_404(slug)
    return _render_guide(_topic_or_404(topic), school.platform_id, school)


@bp.get("/e/<slug>/parler")
def school_talk(slug: str) -> str:
    school = school_or_404(slug)
    topic = _asked_topic()
    return render_template("parents/talk.html", topic=topic,
                           topic_name=topic_label(topic) if topic else None, school=school)
