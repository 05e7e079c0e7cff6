"""LTI Dynamic Registration 1.0, tool side: read a platform's configuration, register with it.

The flow (https://www.imsglobal.org/spec/lti-dr/v1p0): the platform opens the tool's
registration URL with ``openid_configuration`` (a URL) and, usually, a one-use
``registration_token``. The tool fetches the configuration, checks that the issuer it names
owns the URL it was read from, POSTs its own description to the ``registration_endpoint`` with
the token as a bearer, and reads back its ``client_id`` and ``deployment_id``.

Configurations are read leniently, because real platforms differ: Moodle 3.10 to 4.0 spell the
platform block's key with a trailing space, omit ``authorization_endpoint`` and call the
resource link message ``LtiResourceLink``; Canvas lists messages as objects; scopes come as a
list or as one space-separated string; ids as strings or numbers. What Relais cannot work
without (issuer, endpoints, key set, client id) is required, with a coded error naming the
member.

Nothing here stores anything: the caller stores the result once every step has succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from lti.errors import (
    ConfigurationInvalid,
    ConfigurationUnavailable,
    IssuerMismatch,
    LtiError,
    RegistrationParamInvalid,
    RegistrationPlatformError,
    RegistrationRefused,
    RegistrationResponseInvalid,
)
from lti.http import HttpClient, HttpResponse
from lti.tool import origin

__all__ = [
    "NRPS_READONLY",
    "PLATFORM_CONFIGURATION",
    "REGISTRATION_ERROR_CODES",
    "TOOL_CONFIGURATION",
    "ConfigurationInvalid",
    "ConfigurationUnavailable",
    "Initiation",
    "IssuerMismatch",
    "PlatformConfiguration",
    "RegistrationParamInvalid",
    "RegistrationPlatformError",
    "RegistrationRefused",
    "RegistrationResponseInvalid",
    "RegistrationResult",
    "ToolDescription",
    "fetch_configuration",
    "issuer_owns",
    "parse_configuration",
    "parse_registration_response",
    "read_initiation",
    "register",
    "registration_request",
]

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
NRPS_READONLY = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
DEEP_LINKING = "LtiDeepLinkingRequest"
RESOURCE_LINK = "LtiResourceLinkRequest"

_MAX_URL = 2048
_MAX_TOKEN = 8192  # Canvas and Moodle send JWTs of a few hundred bytes
_MAX_ID = 255


#: The codes this module raises besides ``platform_unreachable`` (from the HTTP client).
REGISTRATION_ERROR_CODES: tuple[str, ...] = tuple(
    cls.code
    for cls in (
        RegistrationParamInvalid,
        ConfigurationUnavailable,
        ConfigurationInvalid,
        IssuerMismatch,
        RegistrationRefused,
        RegistrationPlatformError,
        RegistrationResponseInvalid,
    )
)


# --- what the platform sends and says ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Initiation:
    """The registration initiation request: where the configuration is, and the token."""

    configuration_url: str
    registration_token: str | None


@dataclass(frozen=True, slots=True)
class PlatformConfiguration:
    """What Relais keeps of a platform's OpenID configuration.

    ``product_family_code`` is lower case (``"moodle"``, ``"canvas"``...), ``""`` when unsaid.
    Empty ``scopes_supported`` means the platform did not say.
    """

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    scopes_supported: frozenset[str] = frozenset()
    claims_supported: frozenset[str] = frozenset()
    messages_supported: frozenset[str] = frozenset()
    product_family_code: str = ""
    version: str = ""


@dataclass(frozen=True, slots=True)
class ToolDescription:
    """What the tool registers about itself.

    Only the scopes in ``scopes`` that the platform offers are asked for; ``claims`` is the
    list of identity claims wanted (Relais needs names, never the email address).
    """

    client_name: str
    initiate_login_uri: str
    redirect_uris: tuple[str, ...]
    jwks_uri: str
    target_link_uri: str
    deep_linking_uri: str
    logo_uri: str | None = None
    description: str = ""
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    claims: tuple[str, ...] = ("iss", "sub", "name", "given_name", "family_name", "locale")
    scopes: tuple[str, ...] = (NRPS_READONLY,)

    @property
    def domain(self) -> str:
        """The tool's host (with its port when not the default one), as platforms expect it."""
        found = origin(self.target_link_uri)
        if found is None:
            raise ValueError(f"target_link_uri must be an absolute URL: {self.target_link_uri!r}")
        scheme, host, port = found
        if ":" in host:  # IPv6
            host = f"[{host}]"
        return host if port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    """What the platform answered: the client id, and the deployment id when it gives one
    (Moodle always does; a platform that creates deployments later may not)."""

    client_id: str
    deployment_id: str | None
    scopes: frozenset[str]


# --- reading the initiation and the configuration ---------------------------------------------


def read_initiation(params: Mapping[str, str]) -> Initiation:
    """Check the parameters the platform put on the registration URL.

    Raises ``RegistrationParamInvalid`` (field ``openid_configuration`` or
    ``registration_token``).
    """
    url = (params.get("openid_configuration") or "").strip()
    if not url or len(url) > _MAX_URL or origin(url) is None or _has_userinfo(url):
        raise RegistrationParamInvalid(
            "openid_configuration must be an absolute http(s) URL", field="openid_configuration"
        )
    token = params.get("registration_token")
    if token is not None:
        token = token.strip()
        if len(token) > _MAX_TOKEN or not token.isprintable() or " " in token:
            raise RegistrationParamInvalid(
                "registration_token is not a token", field="registration_token"
            )
    return Initiation(url, token or None)


def issuer_owns(issuer: str, url: str) -> bool:
    """Whether ``url`` lives under ``issuer``: same scheme, host and port, and the issuer's
    path is a whole-segment prefix of the URL's path.

    ``https://moodle.example.com`` owns ``https://moodle.example.com/mod/lti/...`` (Moodle's
    issuer is its root); ``https://school.fr/moodle`` owns ``.../moodle/mod/...`` but not
    ``.../moodle2/...``; nothing owns a URL on ``moodle.example.com.evil``. URLs with user
    info, or with ``.`` or ``..`` segments, are never owned.
    """
    if origin(issuer) is None or origin(issuer) != origin(url):
        return False
    if _has_userinfo(issuer) or _has_userinfo(url):
        return False
    issuer_parts, url_parts = urlsplit(issuer), urlsplit(url)
    if issuer_parts.query or issuer_parts.fragment:
        return False
    issuer_path, url_path = unquote(issuer_parts.path), unquote(url_parts.path)
    if _has_dot_segment(issuer_path) or _has_dot_segment(url_path):
        return False
    prefix = issuer_path.rstrip("/") + "/"
    return (url_path.rstrip("/") + "/").startswith(prefix)


def parse_configuration(document: object) -> PlatformConfiguration:
    """Read a configuration document (already decoded from JSON), leniently.

    Raises ``ConfigurationInvalid`` naming the first member Relais cannot do without.
    """
    if not isinstance(document, Mapping):
        raise ConfigurationInvalid("the configuration is not a JSON object")
    members = _strip_keys(document)
    issuer = _url(members, "issuer")
    block = members.get(PLATFORM_CONFIGURATION)
    platform = _strip_keys(block) if isinstance(block, Mapping) else {}
    family = _text(platform.get("product_family_code")).lower()
    authorization = _optional_url(members, "authorization_endpoint")
    if authorization is None:
        if family != "moodle":
            raise ConfigurationInvalid(
                "authorization_endpoint is missing", field="authorization_endpoint"
            )
        # Moodle 3.10-4.0 leave it out; it has always been this script.
        authorization = issuer.rstrip("/") + "/mod/lti/auth.php"
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=authorization,
        token_endpoint=_url(members, "token_endpoint"),
        jwks_uri=_url(members, "jwks_uri"),
        registration_endpoint=_url(members, "registration_endpoint"),
        scopes_supported=_words(members.get("scopes_supported")),
        claims_supported=_words(members.get("claims_supported")),
        messages_supported=_messages(platform.get("messages_supported")),
        product_family_code=family,
        version=_text(platform.get("version")),
    )


def fetch_configuration(http: HttpClient, url: str) -> PlatformConfiguration:
    """GET the configuration at ``url``, read it and check that its issuer owns ``url``.

    Raises ``PlatformUnreachable`` (network, timeout), ``ConfigurationUnavailable`` (HTTP
    error), ``ConfigurationInvalid`` or ``IssuerMismatch``.
    """
    response = http.get(url)
    if not response.ok:
        raise ConfigurationUnavailable(f"the configuration URL answered {response.status}")
    configuration = parse_configuration(_json(response, ConfigurationInvalid))
    if not issuer_owns(configuration.issuer, url):
        raise IssuerMismatch("the issuer does not own the configuration URL", field="issuer")
    return configuration


# --- registering -------------------------------------------------------------------------------


def registration_request(tool: ToolDescription, platform: PlatformConfiguration) -> dict[str, Any]:
    """The client registration the tool POSTs: OpenID Connect members plus the LTI tool
    configuration block. Scopes are limited to those the platform offers."""
    scopes = [s for s in tool.scopes if s in platform.scopes_supported]
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.initiate_login_uri,
        "redirect_uris": list(tool.redirect_uris),
        "client_name": tool.client_name,
        "jwks_uri": tool.jwks_uri,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: {
            "domain": tool.domain,
            "description": tool.description,
            "target_link_uri": tool.target_link_uri,
            "custom_parameters": dict(tool.custom_parameters),
            "claims": list(tool.claims),
            "messages": [
                {
                    "type": DEEP_LINKING,
                    "target_link_uri": tool.deep_linking_uri,
                    "label": tool.client_name,
                }
            ],
        },
    }
    if tool.logo_uri:
        body["logo_uri"] = tool.logo_uri
    return body


def register(
    http: HttpClient,
    platform: PlatformConfiguration,
    tool: ToolDescription,
    registration_token: str | None,
) -> RegistrationResult:
    """POST the tool's registration, with the token as a bearer when there is one.

    Raises ``PlatformUnreachable``, ``RegistrationRefused`` (4xx), ``RegistrationPlatformError``
    (5xx and anything else that is not a success) or ``RegistrationResponseInvalid``.
    """
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    response = http.post_json(
        platform.registration_endpoint, registration_request(tool, platform), headers=headers
    )
    if 400 <= response.status < 500:
        raise RegistrationRefused(f"the registration endpoint answered {response.status}")
    if not response.ok:
        raise RegistrationPlatformError(f"the registration endpoint answered {response.status}")
    return parse_registration_response(_json(response, RegistrationResponseInvalid))


def parse_registration_response(document: object) -> RegistrationResult:
    """Read the platform's answer: ``client_id`` (required), the tool configuration block's
    ``deployment_id`` (optional) and the granted ``scope``.

    Raises ``RegistrationResponseInvalid`` (field ``client_id``) when there is no usable client id.
    """
    if not isinstance(document, Mapping):
        raise RegistrationResponseInvalid("the registration answer is not a JSON object")
    members = _strip_keys(document)
    client_id = _identifier(members.get("client_id"))
    if client_id is None:
        raise RegistrationResponseInvalid("client_id is missing", field="client_id")
    block = members.get(TOOL_CONFIGURATION)
    tool = _strip_keys(block) if isinstance(block, Mapping) else {}
    deployment_id = _identifier(tool.get("deployment_id"))
    if deployment_id is None:
        deployment_id = _identifier(members.get("deployment_id"))
    return RegistrationResult(client_id, deployment_id, _words(members.get("scope")))


# --- lenient readers ---------------------------------------------------------------------------


def _json(response: HttpResponse, error: type[LtiError]) -> object:
    try:
        return response.json()
    except (ValueError, RecursionError):
        raise error("the answer is not JSON") from None


def _strip_keys(document: Mapping[Any, Any]) -> dict[str, Any]:
    # Older Moodle: "https://purl.imsglobal.org/spec/lti-platform-configuration " (a space).
    return {str(key).strip(): value for key, value in document.items()}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _optional_url(members: Mapping[str, Any], name: str) -> str | None:
    value = _text(members.get(name))
    if not value:
        return None
    if len(value) > _MAX_URL or origin(value) is None or _has_userinfo(value):
        raise ConfigurationInvalid(f"{name} is not an absolute http(s) URL", field=name)
    return value


def _url(members: Mapping[str, Any], name: str) -> str:
    value = _optional_url(members, name)
    if value is None:
        raise ConfigurationInvalid(f"{name} is missing", field=name)
    return value


def _words(value: object) -> frozenset[str]:
    """A list of strings, or one space-separated string; anything else counts as unsaid."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(v.strip() for v in value if isinstance(v, str) and v.strip())
    return frozenset()


def _messages(value: object) -> frozenset[str]:
    if not isinstance(value, list | tuple):
        return frozenset()
    found: set[str] = set()
    for item in value:
        kind = item.get("type") if isinstance(item, Mapping) else item
        if isinstance(kind, str) and kind.strip():
            kind = kind.strip()
            found.add(RESOURCE_LINK if kind == "LtiResourceLink" else kind)
    return frozenset(found)


def _identifier(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > _MAX_ID or not value.isprintable():
        return None
    return value


def _has_userinfo(url: str) -> bool:
    # Also refuses control characters, which urlsplit silently drops.
    return "@" in urlsplit(url).netloc or not url.isprintable()


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))
