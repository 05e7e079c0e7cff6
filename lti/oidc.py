"""Third-party initiated login (OIDC), the first leg of every launch.

The platform sends the browser to the tool's login URL (GET or POST) with ``iss``,
``login_hint`` and ``target_link_uri``; the tool answers with a redirect to the platform's
authorization endpoint carrying a fresh ``state`` and ``nonce``. The caller stores the nonce
(``NonceStore.issue``) and binds the state to the browser (cookie, or ``lti_storage_target``
postMessage storage when the iframe has no cookies).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lti.errors import (
    ClientAmbiguous,
    DeploymentUnknown,
    LoginParamInvalid,
    LoginParamMissing,
    PlatformUnknown,
    TargetLinkUriForeign,
)
from lti.registration import PlatformRegistration, RegistrationStore
from lti.tool import ToolConfig

__all__ = ["NONCE_TTL_SECONDS", "AuthRedirect", "LoginRequest", "begin_login", "parse_login"]

#: How long the caller should keep an issued nonce: the parent may be slow to come back.
NONCE_TTL_SECONDS = 600.0
_MAX_PARAM = 2048
_MAX_HINT = 8192  # lti_message_hint is opaque to us and some platforms pack JSON into it


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """The login parameters, checked for shape (not yet matched to a registration)."""

    iss: str
    login_hint: str
    target_link_uri: str
    client_id: str | None = None
    lti_deployment_id: str | None = None
    lti_message_hint: str | None = None
    lti_storage_target: str | None = None


@dataclass(frozen=True, slots=True)
class AuthRedirect:
    """Where to send the browser, and what the caller must remember about it."""

    url: str
    state: str
    nonce: str
    registration: PlatformRegistration
    storage_target: str | None
    target_link_uri: str


def _param(params: Mapping[str, str], name: str, *, required: bool, limit: int) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise LoginParamMissing(f"{name} is missing", field=name)
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise LoginParamInvalid(f"{name} is not a sane string", field=name)
    return value


def _required(params: Mapping[str, str], name: str, *, limit: int) -> str:
    value = _param(params, name, required=True, limit=limit)
    if value is None:  # unreachable: _param raises first; narrows the type without assert
        raise LoginParamMissing(f"{name} is missing", field=name)
    return value


def parse_login(params: Mapping[str, str]) -> LoginRequest:
    """The login parameters of a GET query or POST form.

    Raises ``LoginParamMissing`` (``iss``, ``login_hint``, ``target_link_uri``) and
    ``LoginParamInvalid`` (non-string, overlong or control characters), with ``field``.
    """
    return LoginRequest(
        iss=_required(params, "iss", limit=_MAX_PARAM),
        login_hint=_required(params, "login_hint", limit=_MAX_HINT),
        target_link_uri=_required(params, "target_link_uri", limit=_MAX_PARAM),
        client_id=_param(params, "client_id", required=False, limit=_MAX_PARAM),
        lti_deployment_id=_param(params, "lti_deployment_id", required=False, limit=_MAX_PARAM),
        lti_message_hint=_param(params, "lti_message_hint", required=False, limit=_MAX_HINT),
        lti_storage_target=_param(params, "lti_storage_target", required=False, limit=256),
    )


def _find(registrations: RegistrationStore, login: LoginRequest) -> PlatformRegistration:
    registration = registrations.find(login.iss, login.client_id)
    if registration is not None:
        return registration
    if login.client_id is None and len(registrations.find_all(login.iss)) > 1:
        raise ClientAmbiguous("the issuer has several clients and the login names none")
    raise PlatformUnknown("no registration for this issuer and client")


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def begin_login(
    params: Mapping[str, str],
    *,
    registrations: RegistrationStore,
    tool: ToolConfig,
    new_state: Callable[[LoginRequest], str] | None = None,
    new_nonce: Callable[[LoginRequest], str] | None = None,
) -> AuthRedirect:
    """Answer a login initiation with the authentication request to send the browser to.

    Raises ``LoginParamMissing``/``LoginParamInvalid`` (see :func:`parse_login`),
    ``TargetLinkUriForeign`` when ``target_link_uri`` is not on this tool,
    ``PlatformUnknown`` for an unknown issuer or client, ``ClientAmbiguous`` when the issuer
    has several clients and none is named, and ``DeploymentUnknown`` for a sent
    ``lti_deployment_id`` the registration does not have.

    ``new_state`` and ``new_nonce`` let the caller mint self-verifying values (e.g. signed),
    so that a login needs no storage write; by default both are random.
    """
    login = parse_login(params)
    if not tool.owns(login.target_link_uri):
        raise TargetLinkUriForeign("target_link_uri does not point at Relais")
    registration = _find(registrations, login)
    if (
        login.lti_deployment_id is not None
        and login.lti_deployment_id not in registration.deployment_ids
    ):
        raise DeploymentUnknown("this deployment is not registered")
    state = new_state(login) if new_state else secrets.token_urlsafe(32)
    nonce = new_nonce(login) if new_nonce else secrets.token_urlsafe(32)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        # Exactly the registered launch URL, never derived from the request: Moodle compares
        # redirect_uri byte for byte.
        "redirect_uri": tool.launch_url,
        "login_hint": login.login_hint,
    }
    if login.lti_message_hint is not None:
        query["lti_message_hint"] = login.lti_message_hint
    query["state"] = state
    query["nonce"] = nonce
    return AuthRedirect(
        url=_with_query(registration.auth_login_url, query),
        state=state,
        nonce=nonce,
        registration=registration,
        storage_target=login.lti_storage_target,
        target_link_uri=login.target_link_uri,
    )
