"""``_``, ``gettext`` and ``ngettext`` in templates, with the page's catalogue looked up once.

Flask-Babel finds the locale and its catalogue again for every string a template translates,
through three layers of Jinja calls: ~30 µs a string, and the parent home page has fourteen.
``service.i18n`` puts the page's catalogue in each template's context (``CATALOGUE``) when
rendering starts; these read it from there. A macro imported without context (the form
helpers) falls back to Flask-Babel's lookup. Same semantics as Jinja's "newstyle" gettext:
the result is escaped markup, always %-formatted with its keyword arguments.
"""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Flask
from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

CATALOGUE = "relais_catalogue"


def _catalogue(context: Context) -> NullTranslations:
    found = context.get(CATALOGUE)
    return found if found is not None else get_translations()  # type: ignore[no-any-return]


def _format(context: Context, text: str, variables: dict[str, Any]) -> str:
    if context.eval_ctx.autoescape:
        return Markup(text) % variables
    return text % variables


@pass_context
def gettext(context: Context, string: str, /, **variables: Any) -> str:
    return _format(context, _catalogue(context).ugettext(string), variables)


@pass_context
def ngettext(context: Context, singular: str, plural: str, num: int, /,
             **variables: Any) -> str:
    variables.setdefault("num", num)
    return _format(context, _catalogue(context).ungettext(singular, plural, num), variables)


def init_app(app: Flask) -> None:
    """After Flask-Babel's own setup (which switches Jinja to newstyle gettext)."""
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
