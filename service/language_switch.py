"""The language switch at the top of every page: one plain link per language, back to where
the person was (it works without JavaScript).

Built in Python and kept per page and language: as a Jinja include with a loop, ``url_for``
and a lookup per language, it cost about a tenth of the parent home page's CPU.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from flask import Flask, request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from service.i18n import NAMES, page_languages

_CURRENT = ' aria-current="true"'


def language_switch() -> Markup:
    return _build(str(get_locale()), request.script_root, request.full_path.rstrip("?"),
                  page_languages())


@lru_cache(maxsize=1024)
def _build(here: str, script_root: str, path: str, codes: tuple[str, ...]) -> Markup:
    # script_root is part of the key: url_for() includes it.
    base = f"{url_for('home.language')}?next={quote(path, safe='/')}&to="
    items = "".join(
        f'<li><a href="{escape(base + code)}" lang="{escape(code)}" hreflang="{escape(code)}"'
        f"{_CURRENT if code == here else ''}>{escape(NAMES.get(code, code))}</a></li>"
        for code in codes
    )
    return Markup(f'<nav class="langs" aria-label="{escape(gettext("Langue"))}">'
                  f"<ul>{items}</ul></nav>")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["language_switch"] = language_switch
