"""The help topics: the shared vocabulary of guides, help requests and routing rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Ordered as a parent meets them; the code is stable (stored in help requests and rules).
TOPICS: dict[str, object] = {
    "connect_ent": _l("Se connecter à l'ENT ou à Pronote"),
    "forgot_password": _l("Mot de passe ou codes oubliés"),
    "create_email": _l("Créer une adresse mail"),
    "install_app": _l("Installer l'application"),
    "follow_schoolwork": _l("Suivre devoirs, notes et messages"),
    "contact_teacher": _l("Contacter un enseignant"),
    "bourse": _l("La bourse"),
    "orientation": _l("L'orientation et Affelnet"),
    "parcoursup": _l("Parcoursup"),
    "other": _l("Autre chose"),
}

# The guides the public page of a school shows first: getting connected.
CONNECTION_TOPICS = ("connect_ent", "forgot_password", "create_email", "install_app")


def topic_label(code: str) -> str:
    return str(TOPICS.get(code, TOPICS["other"]))
