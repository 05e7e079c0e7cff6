"""Every failure gets a coded, human page: what happened, what to do, a reference for support.

``LtiError`` codes come from ``lti``; the service adds its own (``forbidden``, ``not_found``...).
The reference is logged with the code so support can find the case; nothing secret is logged.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from lti.errors import LtiError

log = logging.getLogger(__name__)

_RETRY = _l("Revenez sur la page de votre établissement et ouvrez Relais à nouveau.")
_ADMIN = _l(
    "Si cela recommence, donnez la référence ci-dessous à la personne qui gère la plateforme "
    "de l'établissement."
)

# code -> (what happened, what to do). Plain words: the reader may be a parent on a phone.
MESSAGES: dict[str, tuple[object, object]] = {
    "state_missing": (_l("Votre navigateur n'a pas gardé la trace de la connexion."), _RETRY),
    "state_mismatch": (_l("Votre navigateur n'a pas gardé la trace de la connexion."), _RETRY),
    "jwt_malformed": (_l("La plateforme a envoyé une connexion illisible."), _RETRY),
    "jwt_alg_not_allowed": (_l("La connexion n'est pas signée comme il faut."), _ADMIN),
    "jwt_kid_missing": (_l("La connexion n'est pas signée comme il faut."), _ADMIN),
    "jwt_kid_unknown": (_l("La clé de la plateforme n'est pas reconnue."), _ADMIN),
    "jwt_signature_invalid": (_l("La signature de la connexion n'est pas valable."), _ADMIN),
    "platform_unknown": (_l("Cette plateforme n'est pas encore enregistrée dans Relais."), _ADMIN),
    "client_ambiguous": (_l("Relais ne sait pas quelle inscription utiliser."), _ADMIN),
    "aud_mismatch": (_l("Cette connexion était destinée à un autre outil."), _ADMIN),
    "aud_untrusted": (_l("Cette connexion était aussi destinée à un autre outil."), _ADMIN),
    "azp_mismatch": (_l("Cette connexion était destinée à un autre outil."), _ADMIN),
    "azp_missing": (_l("Cette connexion ne dit pas à quel outil elle est destinée."), _ADMIN),
    "token_expired": (_l("La connexion a pris trop de temps et a expiré."), _RETRY),
    "token_issued_in_future": (_l("L'horloge de la plateforme semble en avance."), _ADMIN),
    "nonce_missing": (_l("La connexion est incomplète."), _RETRY),
    "nonce_replayed": (_l("Cette connexion a déjà été utilisée."), _RETRY),
    "nonce_unknown": (_l("Cette connexion n'a pas été demandée par Relais."), _RETRY),
    "deployment_missing": (_l("La connexion ne dit pas de quel déploiement elle vient."), _ADMIN),
    "deployment_unknown": (_l("Ce déploiement de Relais n'est pas enregistré."), _ADMIN),
    "version_invalid": (
        _l("La plateforme utilise une version de LTI non prise en charge."),
        _ADMIN,
    ),
    "message_type_missing": (_l("La plateforme n'a pas dit ce qu'elle demandait."), _ADMIN),
    "message_type_unsupported": (_l("Relais ne sait pas répondre à cette demande."), _ADMIN),
    "claim_missing": (_l("Une information nécessaire manque dans la connexion."), _ADMIN),
    "claim_invalid": (_l("Une information de la connexion n'est pas valable."), _ADMIN),
    "target_link_uri_foreign": (_l("Ce lien ne mène pas à Relais."), _ADMIN),
    "login_param_missing": (_l("Une information manque pour vous connecter."), _RETRY),
    "login_param_invalid": (_l("Une information de connexion n'est pas valable."), _RETRY),
    "platform_keys_unavailable": (
        _l("La plateforme de l'établissement ne répond pas pour le moment."),
        _l("Réessayez dans quelques minutes."),
    ),
    "platform_unreachable": (
        _l("La plateforme de l'établissement ne répond pas pour le moment."),
        _l("Réessayez dans quelques minutes."),
    ),
    "deep_linking_type_not_accepted": (
        _l("La plateforme n'accepte pas ce type de contenu."),
        _ADMIN,
    ),
    "login_expired": (_l("La connexion a pris trop de temps et a expiré."), _RETRY),
    "session_missing": (
        _l("Votre session est terminée ou votre navigateur ne l'a pas gardée."),
        _RETRY,
    ),
    "forbidden": (_l("Cette page n'est pas prévue pour vous."), _RETRY),
    "not_found": (_l("Cette page n'existe pas ou plus."), _RETRY),
    "too_many_requests": (
        _l("Beaucoup de demandes ont été faites depuis cette connexion."),
        _l("Attendez quelques minutes, puis réessayez."),
    ),
    "csrf_failed": (
        _l("Ce formulaire a expiré."),
        _l("Revenez en arrière, rechargez la page et envoyez-le à nouveau."),
    ),
    "bad_request": (_l("La demande n'a pas pu être lue."), _RETRY),
    "method_not_allowed": (_l("Cette page ne s'ouvre pas de cette façon."), _RETRY),
    "payload_too_large": (_l("Ce qui a été envoyé est trop gros."), _RETRY),
    "server_error": (
        _l("Quelque chose s'est mal passé de notre côté."),
        _l("Réessayez dans un moment. Si cela recommence, donnez la référence ci-dessous."),
    ),
}

# Dynamic registration: the reader is the platform's admin, pasting the link Relais' operator
# gave them. Nothing was stored when one of these shows.
_NEW_LINK = _l("Demandez un nouveau lien d'inscription à la personne qui installe Relais.")
_PLATFORM_LATER = _l(
    "Rien n'a été enregistré. Réessayez dans quelques minutes avec le même lien ; si cela "
    "recommence, donnez la référence ci-dessous à la personne qui installe Relais."
)
MESSAGES.update({
    "registration_link_unknown": (_l("Ce lien d'inscription n'est pas valable."), _NEW_LINK),
    "registration_link_used": (_l("Ce lien d'inscription a déjà servi."), _NEW_LINK),
    "registration_link_expired": (_l("Ce lien d'inscription a expiré."), _NEW_LINK),
    "registration_link_busy": (
        _l("Une inscription avec ce lien est déjà en cours."),
        _l("Attendez deux minutes, puis réessayez avec le même lien."),
    ),
    "registration_param_invalid": (
        _l("La plateforme n'a pas transmis l'adresse de sa configuration."),
        _l("Collez le lien dans l'écran d'inscription d'outil LTI 1.3 de la plateforme "
           "(« LTI Advantage », « Dynamic Registration »), pas dans un navigateur."),
    ),
    "registration_configuration_unavailable": (
        _l("La plateforme n'a pas donné sa configuration."), _PLATFORM_LATER),
    "registration_configuration_invalid": (
        _l("La configuration de la plateforme est illisible ou incomplète."), _PLATFORM_LATER),
    "registration_issuer_mismatch": (
        _l("La configuration reçue ne vient pas de la plateforme qu'elle annonce."),
        _l("Rien n'a été enregistré. Vérifiez l'adresse de la plateforme, puis donnez la "
           "référence ci-dessous à la personne qui installe Relais."),
    ),
    "registration_refused": (
        _l("La plateforme a refusé l'inscription de Relais."),
        _l("Rien n'a été enregistré. Relancez l'inscription depuis la plateforme (son jeton "
           "ne sert qu'une fois), avec le même lien."),
    ),
    "registration_platform_error": (
        _l("La plateforme a rencontré une erreur pendant l'inscription."), _PLATFORM_LATER),
    "registration_response_invalid": (
        _l("La réponse de la plateforme est illisible."), _PLATFORM_LATER),
    "registration_deployment_missing": (
        _l("La plateforme a inscrit Relais sans dire quel déploiement utiliser."),
        _l("Rien n'a été enregistré chez Relais. Donnez la référence ci-dessous à la personne "
           "qui installe Relais : elle terminera l'inscription."),
    ),
})

_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "too_many_requests",
}

# Teachers: the class list (NRPS), the class, the deep-linking picker. The reader is a teacher.
MESSAGES.update({
    "service_token_refused": (
        _l("La plateforme n'a pas autorisé Relais à lire la liste de la classe."), _ADMIN),
    "scope_not_granted": (
        _l("La plateforme ne partage pas la liste de la classe avec Relais."), _ADMIN),
    "memberships_refused": (
        _l("La plateforme a refusé de donner la liste de la classe."), _ADMIN),
    "memberships_invalid": (
        _l("La plateforme a envoyé une liste de classe illisible."), _ADMIN),
    "class_missing": (
        _l("Relais ne sait pas de quelle classe il s'agit."),
        _l("Ouvrez Relais depuis la page de votre classe sur la plateforme."),
    ),
    "deep_link_expired": (
        _l("Le choix du contenu a pris trop de temps et a expiré."),
        _l("Fermez cette fenêtre, puis recommencez « Sélectionner un contenu » depuis la "
           "plateforme."),
    ),
})

# Relays: the reader is a volunteer or a médiateur who opened their personal link.
_RELAY_LINK = _l("Demandez un nouveau lien à la personne qui gère Relais pour votre "
                 "établissement.")
MESSAGES.update({
    "relay_link_invalid": (_l("Ce lien ne marche pas ou plus."), _RELAY_LINK),
    "relay_access_ended": (_l("Votre accès aux demandes a pris fin."), _RELAY_LINK),
})


class ServiceError(Exception):
    """A coded failure of the service itself, shown with the same human page."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def error_page(code: str, status: int, field: str | None = None) -> tuple[str, int]:
    reference = secrets.token_hex(4).upper()
    # The reference ties the parent's page to this log line; no token or claim value is logged.
    log.warning("error %s status=%s field=%s ref=%s", code, status, field, reference)
    happened, todo = MESSAGES.get(code, MESSAGES["server_error"])
    html = render_template(
        "error.html", code=code, happened=happened, todo=todo, reference=reference, field=field
    )
    return html, status


def init_app(app: Flask) -> None:
    @app.errorhandler(LtiError)
    def _lti(error: LtiError) -> tuple[str, int]:
        return error_page(error.code, error.status, error.field)

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> tuple[str, int]:
        return error_page(error.code, error.status)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        return error_page(_HTTP_CODES.get(status, "server_error"), status)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unexpected error")
        return error_page("server_error", 500)
