"""Pictograms, inline (no request, no third party): ``{{ picto("help") }}`` in any template.

Decorative: the text beside each one is its accessible name. Shapes live in
``templates/pictos/<name>.svg``; guides and wizard steps name them. Each shape is read once
per process: a Jinja macro including the file cost ~50 µs per pictogram, on pages that show
four to ten of them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import Flask
from markupsafe import Markup, escape

SHAPES = Path(__file__).parent / "templates" / "pictos"
_NAME = re.compile(r"[a-z0-9-]+")


@cache
def _shape(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise LookupError(f"not a pictogram name: {name!r}")
    return (SHAPES / f"{name}.svg").read_text(encoding="utf-8").strip()


@cache
def picto(name: str, cls: str = "picto") -> Markup:
    """The inline ``<svg>`` of pictogram ``name``; raises ``LookupError`` for an unknown one
    (``FileNotFoundError`` is one), as a missing template would."""
    return Markup(
        f'<svg class="{escape(cls)}" width="40" height="40" viewBox="0 0 24 24" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        f'aria-hidden="true" focusable="false">{_shape(name)}</svg>'
    )


def init_app(app: Flask) -> None:
    app.jinja_env.globals["picto"] = picto
