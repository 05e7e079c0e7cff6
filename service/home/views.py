"""After a launch, each audience lands on its own home; everyone can switch language."""

from __future__ import annotations

import re

from flask import Blueprint, Response, redirect, render_template, request, session

from service.i18n import page_languages
from service.identity import current, requires

bp = Blueprint("home", __name__)

# One slash, then no slash or backslash, and no whitespace or control character anywhere:
# browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become a redirect to
# //evil.example, and a newline would not even make a valid header (a 500).
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\x00-\x1f\x7f\\]*")

TEMPLATES = {
    "parent": "home/parent.html",
    "teacher": "home/teacher.html",
    "admin": "home/admin.html",
    "learner": "home/learner.html",
}


@bp.get("/home")
@requires(*TEMPLATES)
def home() -> str:
    who = current()
    assert who is not None  # guaranteed by @requires
    return render_template(TEMPLATES[who.audience], who=who)


@bp.get("/lang")
def language() -> Response:
    """Works without JavaScript: a plain link per language, back to where the person was."""
    wanted = request.args.get("to", "")
    if wanted in page_languages():
        session["lang"] = wanted
    target = request.args.get("next", "/home")
    # Only a local path: never an open redirect.
    if not _LOCAL_PATH.fullmatch(target):
        target = "/home"
    return redirect(target, code=303)
