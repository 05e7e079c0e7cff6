"""Languages: French first; Arabic right to left. The choice rides in the session.

A parent picks a language with the switch; otherwise the launch's locale, then the browser's,
then French. Only the languages the person's platform offers are used (its admin chooses them).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations

from service import template_i18n

RTL = frozenset({"ar", "he", "fa", "ur"})

# Each language named in itself, so a parent recognises their own.
NAMES = {
    "fr": "Français",
    "ar": "العربية",
    "en": "English",
    "pt": "Português",
    "tr": "Türkçe",
}


def languages() -> list[str]:
    """Every language this instance has (forms ask which one a parent speaks among them)."""
    return list(current_app.config["LANGUAGES"])


def page_languages() -> tuple[str, ...]:
    """The languages pages are offered in: the ones the signed-in person's platform chose
    (its admin's settings), else all of the instance's."""
    from service.admin.settings import offered_for
    from service.identity import current

    who = current()
    return offered_for(who.platform_id) if who is not None else tuple(languages())


def select_locale() -> str:
    if not has_request_context():  # the CLI speaks French, the default
        return "fr"
    offered = page_languages()
    wanted = request.args.get("lang") or session.get("lang")
    if wanted in offered:
        return str(wanted)
    return request.accept_languages.best_match(offered) or offered[0]


def direction_of(code: str) -> str:
    return "rtl" if code in RTL else "ltr"


def text_direction() -> str:
    return direction_of(str(get_locale()))


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    template_i18n.init_app(app)
    app.jinja_env.globals.update(
        text_direction=text_direction,
        language_names=NAMES,
        languages=languages,
        current_locale=lambda: str(get_locale()),
    )
    app.context_processor(_page_language)


def _page_language() -> dict[str, Any]:
    """The page's language, settled once when rendering starts (also under
    ``force_locale``): its catalogue for ``_``, its code, its direction."""
    code = str(get_locale())
    direction = direction_of(code)
    return {
        template_i18n.CATALOGUE: get_translations(),
        "current_locale": lambda: code,
        "text_direction": lambda: direction,
    }
