"""Where a phone gets the app: the store's page, as a link and as a QR code.

Pronote's app is the same everywhere; the ENT's own app differs per platform, so its store
pages come from ``PLATFORM_LINKS`` (``ent_app_android_url``, ``ent_app_iphone_url``, see
``service/parents/links.py``), else from the page of the app the platform's admin gave in the
settings (``ent_app_url``). Without one, the step's words say how to search the store.
The QR code is an inline SVG made by segno: no image request, no third party.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from service.security import origin_of

PRONOTE = {
    "android": "https://play.google.com/store/apps/details?id=com.IndexEducation.Pronote",
    "iphone": "https://apps.apple.com/fr/app/pronote/id1138223804",
}
STORE_NAMES = {"android": _l("Ouvrir le Play Store"), "iphone": _l("Ouvrir l'App Store")}
APP_PAGE = _l("Ouvrir la page de l'application")


@dataclass(frozen=True, slots=True)
class Store:
    label: str
    url: str
    qr: Markup


def store_for(platform_id: int | None, device: str | None, app: str) -> Store | None:
    """The store page of the app this branch installs, or ``None`` (a computer, no device,
    a website shortcut, or an ENT app whose store page the platform did not give)."""
    if device not in PRONOTE:
        return None
    url: object = None
    label = STORE_NAMES[device]
    if app == "pronote":
        url = PRONOTE[device]
    elif app == "ent_app" and platform_id is not None:
        configured = current_app.config.get("PLATFORM_LINKS") or {}
        own = configured.get(str(platform_id)) or configured.get(platform_id) or {}
        url = own.get(f"ent_app_{device}_url")
        if not url:
            url, label = _admin_app_page(platform_id), APP_PAGE
    if not (isinstance(url, str) and origin_of(url)):
        return None
    return Store(label=str(label), url=url, qr=qr_svg(url))


def _admin_app_page(platform_id: int) -> str | None:
    """The app's page from the platform's settings (one page for both stores), if the admin
    pages are part of this instance."""
    if "admin" not in current_app.blueprints:
        return None
    from service import db
    from service.admin.settings import platform_urls

    return platform_urls(db.session(), platform_id).get("ent_app_url")


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG, sized by CSS (class ``qr``)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr",
                                  dark="#000", light="#fff"))
