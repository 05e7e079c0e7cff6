"""The platform's own links that guides point to (ENT, Pronote, EduConnect, Parcoursup).

There is no per-platform settings model yet, so the links come from the app setting
``PLATFORM_LINKS``, keyed by platform id, each an object with optional ``ent_url``,
``pronote_url``, ``educonnect_url`` and ``parcoursup_url``::

    RELAIS_PLATFORM_LINKS='{"1": {"ent_url": "https://ent.example.fr",
                                  "pronote_url": "https://0750000a.index-education.net/pronote/"}}'

National services have a default (EduConnect, Parcoursup); a link without a value is left out
of the page rather than shown empty. Only http(s) addresses are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from service.security import origin_of

LABELS: dict[str, object] = {
    "ent": _l("L'ENT de l'établissement"),
    "pronote": _l("Pronote"),
    "educonnect": _l("EduConnect"),
    "parcoursup": _l("Parcoursup"),
}

NATIONAL: dict[str, str] = {
    "educonnect": "https://educonnect.education.gouv.fr",
    "parcoursup": "https://www.parcoursup.gouv.fr",
}


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    label: str
    url: str


def platform_links(platform_id: int | None, names: Iterable[str]) -> list[Link]:
    """The links ``names`` asks for that this platform has (or that have a national default)."""
    configured = current_app.config.get("PLATFORM_LINKS") or {}
    own = {}
    if platform_id is not None:
        own = configured.get(str(platform_id)) or configured.get(platform_id) or {}
    found = []
    for name in names:
        url = own.get(f"{name}_url") or NATIONAL.get(name)
        if isinstance(url, str) and origin_of(url):
            found.append(Link(name=name, label=str(LABELS[name]), url=url))
    return found
