"""The wizard's pages. Plain forms: every step works without JavaScript.

Routes (blueprint ``onboarding``):
  GET  /pas-a-pas                   the path: start, or resume at step N of M, or restart
  GET  /pas-a-pas/etape/<stage>     one step: its goal, numbered actions, three buttons
  POST /pas-a-pas/etape/<stage>     "C'est fait" / "Je bloque ici" / "Passer"
  GET  /pas-a-pas/fini              the end of the path
  POST /pas-a-pas/recommencer       forget the progress, start at step 1
  GET  /pas-a-pas/dates.ics         the key dates of the year, for the phone's calendar

A parent's progress is kept on the server (platform + LTI ``sub``). Teachers and admins see
the same pages as a preview: nothing is stored, their answers ride in the query string.
The class's settings (``service.teachers``) shape the path of everyone launched from it,
previews included: the stages its teacher hid are left out, and its contact is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from service import db
from service.errors import ServiceError
from service.identity import Identity, current, requires
from service.onboarding import calendar, services, stores
from service.onboarding.cli import wizard
from service.onboarding.content import WizardStep, steps
from service.onboarding.path import (
    CHOICES,
    DEVICES,
    DONE,
    EMAIL_CHOICES,
    Branch,
    PathStep,
    find,
    path,
    previous_stage,
    shown_after,
    stage,
)
from service.onboarding.schemas import AnswerSchema
from service.parents.links import platform_links
from service.teachers.services import class_view

bp = Blueprint("onboarding", __name__, url_prefix="/pas-a-pas", cli_group=None)
bp.cli.add_command(wizard)

VIEWERS = ("parent", "teacher", "admin")

# A pictogram beside each answer of the choice steps.
CHOICE_PICTOS = {
    "android": "smartphone",
    "iphone": "smartphone",
    "computer": "computer",
    "none": "people",
    "has": "mail",
    "create": "pen",
    "without": "signpost",
}


@dataclass(frozen=True, slots=True)
class Visit:
    """Who walks the path and what they answered so far."""

    who: Identity
    keeps: bool  # a parent: progress is stored; a preview: nothing is
    tools: frozenset[str]
    branch: Branch
    current: str | None  # the stage to resume; None before the first answer
    done: frozenset[str]
    skipped: frozenset[str]
    contact: str  # how to reach the class's team, in the teacher's words; "" when unset

    @property
    def preview(self) -> bool:
        return self.who.audience != "parent"

    @property
    def carry(self) -> dict[str, str]:
        return carry(self.keeps, self.branch)


def carry(keeps: bool, branch: Branch) -> dict[str, str]:
    """What a preview keeps from page to page, in the query string (a parent's answers are
    stored instead)."""
    if keeps:
        return {}
    found = {"device": branch.device, "email": branch.email}
    return {k: v for k, v in found.items() if v}


def _arg(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    return value if value in allowed else None


def _visit() -> Visit:
    who = current()
    assert who is not None  # guaranteed by @requires
    database = db.session()
    tools = services.tools_for(database, who.platform_id)
    settings = class_view(who.platform_id, who.class_id)
    hidden = settings.hidden_stages
    if who.audience == "parent" and who.user_id:
        progress = services.find_progress(database, who.platform_id, who.user_id)
        where = services.where(progress, tools, hidden)
        return Visit(
            who=who, keeps=True, tools=tools, branch=services.branch_of(progress, tools, hidden),
            current=where.stage if where else None,
            done=progress.done if progress else frozenset(),
            skipped=progress.skipped if progress else frozenset(),
            contact=settings.contact,
        )
    branch = Branch(device=_arg("device", DEVICES), email=_arg("email", EMAIL_CHOICES),
                    tools=tools, hidden=hidden)
    return Visit(who=who, keeps=False, tools=tools, branch=branch, current=None,
                 done=frozenset(), skipped=frozenset(), contact=settings.contact)


def _locale() -> str:
    return str(get_locale() or "fr")


def _stage_url(stage_id: str, kept: dict[str, str]) -> str:
    if stage_id == DONE:
        return url_for("onboarding.done", **kept)
    return url_for("onboarding.step", stage_id=stage_id, **kept)


def _titles(visit: Visit) -> list[tuple[PathStep, str, str]]:
    """(step, its title, its state: done / skipped / current / "") along the path."""
    rows = []
    for p in path(visit.branch):
        found, _fallback = steps().find(p.step, _locale())
        state = ("current" if p.stage.id == visit.current else "done" if p.stage.id in visit.done
                 else "skipped" if p.stage.id in visit.skipped else "")
        rows.append((p, found.title, state))
    return rows


def _on_path(visit: Visit, stage_id: str) -> PathStep | None:
    """The stage on this visitor's branch; ``None`` for a stage of another branch (the parent
    changed an answer) or one their class hides; the 404 page for a stage that does not
    exist."""
    if stage(stage_id) is None:
        raise ServiceError("not_found", 404)
    return find(visit.branch, stage_id)


def _elsewhere(visit: Visit, stage_id: str) -> str:
    """Where a stage this visitor does not meet leads. A hidden one is passed over as if it
    were not there (an old bookmark, a link shared by another class's parent); a stage of
    another branch, or a hidden one with nothing shown after it, leads to the path's start."""
    if stage_id in visit.branch.hidden:
        following = shown_after(visit.branch, stage_id)
        if following != DONE:
            return _stage_url(following, visit.carry)
    return url_for("onboarding.start", **visit.carry)


def _first_url(branch: Branch, kept: dict[str, str]) -> str:
    # The first stage the class shows: its teacher may have hidden the device question.
    return _stage_url(shown_after(branch, None), kept)


# --- pages ---


@bp.get("")
@requires(*VIEWERS)
def start() -> str:
    visit = _visit()
    rows = _titles(visit)
    where = None
    if visit.current is not None:
        here = next(((p, title) for p, title, _s in rows if p.stage.id == visit.current), None)
        where = {"stage": visit.current, "finished": visit.current == DONE,
                 "number": here[0].number if here else len(rows), "total": len(rows),
                 "title": here[1] if here else ""}
    return render_template(
        "onboarding/start.html", visit=visit, rows=rows, where=where,
        first_url=_first_url(visit.branch, visit.carry),
        stage_url=lambda s: _stage_url(s, visit.carry),
    )


def _render_step(visit: Visit, here: PathStep, *, errors: dict[str, list[str]] | None = None,
                 values: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    step, fallback = steps().find(here.step, _locale())
    branch = visit.branch
    store = (stores.store_for(visit.who.platform_id, branch.device, branch.app)
             if here.stage.id == "install" else None)
    previous = previous_stage(branch, here.stage.id)
    html = render_template(
        "onboarding/step.html",
        visit=visit,
        here=here,
        step=step,
        fallback=fallback,
        total=len(path(branch)),
        rows=_titles(visit),
        links=platform_links(visit.who.platform_id, step.links),
        store=store,
        previous_url=_stage_url(previous, visit.carry) if previous else None,
        action=url_for("onboarding.answer", stage_id=here.stage.id, **visit.carry),
        choice_pictos=CHOICE_PICTOS,
        errors=errors or {},
        values=values or {},
        labels={"answer": step.question},
    )
    return html, status


@bp.get("/etape/<stage_id>")
@requires(*VIEWERS)
def step(stage_id: str) -> Any:
    visit = _visit()
    here = _on_path(visit, stage_id)
    if here is None:
        return redirect(_elsewhere(visit, stage_id))
    values = {"answer": visit.branch.answer(here.stage.choice)} if here.stage.choice else {}
    return _render_step(visit, here, values=values)


@bp.post("/etape/<stage_id>")
@requires(*VIEWERS)
def answer(stage_id: str) -> Any:
    visit = _visit()
    here = _on_path(visit, stage_id)
    if here is None:  # nothing is recorded for a stage the visitor does not meet
        return redirect(_elsewhere(visit, stage_id), code=303)
    choice = here.stage.choice
    try:
        data = AnswerSchema(choice, CHOICES.get(choice or "", ())).load(dict(request.form))
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        if "action" in messages:
            raise ServiceError("bad_request", 400) from error  # only a tampered form
        errors = {k: [str(m) for m in v] for k, v in messages.items()}
        return _render_step(visit, here, errors=errors,
                            values={"answer": request.form.get("answer")}, status=400)
    action = data["action"]
    chosen = data["answer"] if choice else None
    if visit.keeps:
        assert visit.who.user_id is not None
        for attempt in (1, 2):
            try:
                with db.transaction() as tx:
                    progress = services.record(tx, visit.who.platform_id, visit.who.user_id,
                                               visit.tools, stage_id, action, chosen,
                                               visit.branch.hidden)
                    branch, following = (services.branch_of(progress, visit.tools,
                                                            visit.branch.hidden),
                                         progress.current_step)
                break
            except IntegrityError:
                # A double tap on a slow phone: both presses made the parent's first row. The
                # second one finds it now.
                if attempt == 2:
                    raise
    else:
        branch, following, _done, _skipped = services.advance(
            visit.branch, stage_id, action, chosen, frozenset(), frozenset()
        )
    if action == "stuck":
        return redirect(_help_url(here, branch), code=303)
    return redirect(_stage_url(following, carry(visit.keeps, branch)), code=303)


def _help_url(here: PathStep, branch: Branch) -> str:
    """The "be called back" form, already holding the topic, the step and the device: the
    parent only says how to be reached."""
    if "help.callback" not in current_app.view_functions:
        return url_for("parents.talk", topic=here.stage.topic)
    return url_for("help.callback", topic=here.stage.topic, step=here.step,
                   device=branch.device)


@bp.get("/fini")
@requires(*VIEWERS)
def done() -> str:
    visit = _visit()
    last, fallback = steps().find(DONE, _locale())
    skipped = [(p, title) for p, title, state in _titles(visit) if state == "skipped"]
    return render_template(
        "onboarding/done.html", visit=visit, step=last, fallback=fallback, skipped=skipped,
        stage_url=lambda s: _stage_url(s, visit.carry),
    )


@bp.post("/recommencer")
@requires(*VIEWERS)
def restart() -> Response:
    visit = _visit()
    if visit.keeps:
        assert visit.who.user_id is not None
        with db.transaction() as tx:
            services.restart(tx, visit.who.platform_id, visit.who.user_id)
    # The answers are forgotten; what the platform uses and the class hides stays.
    fresh = Branch(tools=visit.tools, hidden=visit.branch.hidden)
    return redirect(_first_url(fresh, {}), code=303)


@bp.get("/dates.ics")
@requires(*VIEWERS)
def key_dates() -> Response:
    dates_step: WizardStep = steps().find("dates", _locale())[0]
    host = urlsplit(str(current_app.config["BASE_URL"])).hostname or "relais"
    body = calendar.ics(
        dates_step.dates, today=date.today(), host=host,
        note=_("L'établissement donne les dates exactes de l'année."),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'attachment; filename="relais-dates.ics"'
    return response


# --- the parent home: "Reprendre à l'étape N sur M" ---


@bp.app_template_global()
def wizard_resume() -> dict[str, Any] | None:
    """Where the signed-in parent stopped, for their home page; ``None`` when they have not
    started, have finished, or are not a parent. Read only when a template asks."""
    who = current()
    if who is None or who.audience != "parent" or not who.user_id:
        return None
    progress = services.peek_progress(db.connection(), who.platform_id, who.user_id)
    if progress is None:  # not started: no need for the platform's tools nor the class's
        return None
    where = services.where(progress, services.tools_for(db.session(), who.platform_id),
                           class_view(who.platform_id, who.class_id).hidden_stages)
    if where is None or where.finished:
        return None
    return {"number": where.number, "total": where.total,
            "url": url_for("onboarding.step", stage_id=where.stage)}
