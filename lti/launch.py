"""Validating an LTI 1.3 launch: from the platform's form post to a trusted ``LaunchData``.

The chain reads like pylti1p3's ``MessageLaunch.validate()`` (state, format, registration,
signature, claims, nonce, deployment, message) with one rule above all: **nothing in the
token body is trusted before the signature and the audience are verified**. Before that, the
unverified ``iss`` and ``aud`` are used only to pick which key to verify with.

The hot path uses ``cryptography``, ``json`` and ``base64`` directly: PyJWT and joserfc decode
cost several times the RSA verification itself, and a launch must stay within three of them.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from lti import claims as c
from lti.errors import (
    AudMismatch,
    AudUntrusted,
    AzpMismatch,
    AzpMissing,
    ClaimInvalid,
    ClaimMissing,
    DeploymentMissing,
    DeploymentUnknown,
    JwtSignatureInvalid,
    LtiError,
    MessageTypeMissing,
    MessageTypeUnsupported,
    NonceMissing,
    NonceReplayed,
    NonceUnknown,
    PlatformUnknown,
    StateMismatch,
    StateMissing,
    TargetLinkUriForeign,
    TokenExpired,
    TokenIssuedInFuture,
    VersionInvalid,
)
from lti.jws import rs256_kid, split_compact
from lti.launch_data import MESSAGE_DEEP_LINKING, MESSAGE_RESOURCE_LINK, LaunchData
from lti.platform_keys import PlatformKeyCache
from lti.registration import (
    Clock,
    NonceOutcome,
    NonceStore,
    PlatformRegistration,
    RegistrationStore,
)
from lti.tool import ToolConfig

__all__ = ["SUPPORTED_MESSAGE_TYPES", "validate"]

LTI_VERSION = "1.3.0"
SUPPORTED_MESSAGE_TYPES = frozenset({MESSAGE_RESOURCE_LINK, MESSAGE_DEEP_LINKING})
_MAX_SUB = 255  # OpenID Connect Core 1.0, section 2
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()

# The claims turned into LaunchData fields; every other claim goes to extra_claims.
_MODELLED = frozenset(
    {
        "iss", "aud", "azp", "exp", "iat", "nbf", "nonce", "sub",
        "name", "given_name", "family_name", "email", "locale",
        c.CLAIM_MESSAGE_TYPE, c.CLAIM_VERSION, c.CLAIM_DEPLOYMENT_ID, c.CLAIM_TARGET_LINK_URI,
        c.CLAIM_RESOURCE_LINK, c.CLAIM_CONTEXT, c.CLAIM_ROLES, c.CLAIM_ROLE_SCOPE_MENTOR,
        c.CLAIM_CUSTOM, c.CLAIM_LAUNCH_PRESENTATION, c.CLAIM_TOOL_PLATFORM,
        c.CLAIM_DEEP_LINKING_SETTINGS, c.CLAIM_NRPS,
    }
)  # fmt: skip


def validate(
    form: Mapping[str, str],
    *,
    browser_state: str | None,
    registrations: RegistrationStore,
    keys: PlatformKeyCache,
    nonces: NonceStore,
    clock: Clock,
    tool: ToolConfig,
) -> LaunchData:
    """Check a launch form post (``state`` and ``id_token``) and return what it says.

    ``browser_state`` is the state this browser was given at login (None when the browser
    lost it, e.g. third-party cookies blocked). The nonce is consumed: the same launch
    validates once. Raises an ``LtiError`` subclass, and nothing else, for any input that is
    not a valid launch; errors from the stores themselves (a database down) propagate.
    """
    _check_state(form, browser_state)
    header, payload, signing_input, signature = split_compact(form.get("id_token"))
    kid = rs256_kid(header)
    registration, audiences, azp = _find_registration(payload, registrations)
    key = keys.public_key(registration.jwks_url, kid)
    try:
        key.verify(signature, signing_input, _PKCS1, _SHA256)
    except InvalidSignature:
        raise JwtSignatureInvalid("the id_token signature does not verify") from None
    # From here on the payload was signed by the platform's key.
    _check_audience(registration, payload, audiences, azp)
    now = clock.now()
    _check_times(payload, now, tool)
    nonce = _consume_nonce(payload, registration, nonces, now)
    try:
        return _launch_data(payload, registration, nonce, tool)
    except LtiError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        # A shape no check above foresaw: still the platform's fault, still a coded error.
        raise ClaimInvalid("unexpected claim shape") from exc


def _check_state(form: Mapping[str, str], browser_state: str | None) -> None:
    state = form.get("state")
    if not state:
        raise StateMissing("the launch has no state")
    if not isinstance(state, str) or browser_state is None:
        raise StateMismatch("the launch state is not this browser's")
    # Bytes: compare_digest refuses non-ASCII str, and a parent must get a page, not a 500.
    if not hmac.compare_digest(_utf8(state), _utf8(browser_state)):
        raise StateMismatch("the launch state is not this browser's")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _find_registration(
    payload: Mapping[str, Any], registrations: RegistrationStore
) -> tuple[PlatformRegistration, tuple[str, ...], str | None]:
    """The registration the unverified ``iss``/``aud``/``azp`` point at, the audiences and
    ``azp``. Nothing here is trusted yet: it only picks the key to verify with."""
    iss = payload.get("iss")
    if iss is None:
        raise ClaimMissing("iss is missing", field="iss")
    if not isinstance(iss, str) or not iss:
        raise ClaimInvalid("iss must be a string", field="iss")
    aud = payload.get("aud")
    if aud is None:
        raise ClaimMissing("aud is missing", field="aud")
    audiences = (aud,) if isinstance(aud, str) else aud
    if (
        not isinstance(audiences, list | tuple)
        or not audiences
        or not all(isinstance(a, str) and a for a in audiences)
    ):
        raise ClaimInvalid("aud must be a string or a list of strings", field="aud")
    audiences = tuple(dict.fromkeys(audiences))  # a repeated audience is still one audience
    azp = payload.get("azp")
    if azp is not None and (not isinstance(azp, str) or not azp):
        raise ClaimInvalid("azp must be a string", field="azp")
    if len(audiences) > 1 and azp is None:
        raise AzpMissing("several audiences and no azp")
    client_id = azp if len(audiences) > 1 else audiences[0]
    registration = registrations.find(iss, client_id)
    if registration is None:
        if registrations.find_all(iss):
            raise AudMismatch("the issuer is known, the audience is not one of our clients")
        raise PlatformUnknown("no registration for this issuer")
    return registration, audiences, azp


def _check_audience(
    registration: PlatformRegistration,
    payload: Mapping[str, Any],
    audiences: tuple[str, ...],
    azp: str | None,
) -> None:
    if payload["iss"] != registration.issuer:
        raise PlatformUnknown("the issuer does not match the registration")
    if registration.client_id not in audiences:
        raise AudMismatch("our client id is not in the audience")
    if len(audiences) > 1:
        # Another audience could replay this very token at us as its own: refuse.
        raise AudUntrusted("the id_token is also addressed to another audience")
    if azp is not None and azp != registration.client_id:
        raise AzpMismatch("azp is not our client id")


def _number(payload: Mapping[str, Any], name: str) -> float:
    value = payload.get(name)
    if value is None:
        raise ClaimMissing(f"{name} is missing", field=name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ClaimInvalid(f"{name} must be a number", field=name)
    return float(value)


def _check_times(payload: Mapping[str, Any], now: float, tool: ToolConfig) -> None:
    leeway = tool.leeway_seconds
    exp = _number(payload, "exp")
    iat = _number(payload, "iat")
    if now > exp + leeway:
        raise TokenExpired("the id_token has expired")
    if iat > now + leeway:
        raise TokenIssuedInFuture("the id_token is issued in the future")
    if iat < now - tool.max_token_age - leeway:
        raise TokenExpired("the id_token was issued too long ago")
    if "nbf" in payload and _number(payload, "nbf") > now + leeway:
        raise TokenIssuedInFuture("the id_token is not valid yet")


def _consume_nonce(
    payload: Mapping[str, Any], registration: PlatformRegistration, nonces: NonceStore, now: float
) -> str:
    nonce = payload.get("nonce")
    if nonce is None or nonce == "":
        raise NonceMissing("the id_token has no nonce")
    if not isinstance(nonce, str) or len(nonce) > 255:
        raise ClaimInvalid("nonce must be a string", field="nonce")
    outcome = nonces.consume(nonce, registration.issuer, now)
    if outcome is NonceOutcome.REPLAYED:
        raise NonceReplayed("this launch was already used")
    if outcome is not NonceOutcome.CONSUMED:
        raise NonceUnknown("this nonce was not issued by Relais")
    return nonce


def _launch_data(
    payload: Mapping[str, Any], registration: PlatformRegistration, nonce: str, tool: ToolConfig
) -> LaunchData:
    deployment_id = payload.get(c.CLAIM_DEPLOYMENT_ID)
    if deployment_id is None or deployment_id == "":
        raise DeploymentMissing("the id_token has no deployment_id")
    if not isinstance(deployment_id, str):
        raise ClaimInvalid("deployment_id must be a string", field="deployment_id")
    if deployment_id not in registration.deployment_ids:
        raise DeploymentUnknown("this deployment is not registered")

    message_type = payload.get(c.CLAIM_MESSAGE_TYPE)
    if message_type is None or message_type == "":
        raise MessageTypeMissing("the id_token has no message_type")
    if message_type not in SUPPORTED_MESSAGE_TYPES:  # also refuses non-strings
        raise MessageTypeUnsupported("Relais does not handle this message type")
    if payload.get(c.CLAIM_VERSION) != LTI_VERSION:
        raise VersionInvalid("the LTI version is not 1.3.0")

    sub = payload.get("sub")
    if sub is None or sub == "":
        if not registration.allow_anonymous:
            raise ClaimMissing("sub is missing", field="sub")
        sub = None
    elif not isinstance(sub, str) or len(sub) > _MAX_SUB:
        raise ClaimInvalid("sub must be a string of at most 255 characters", field="sub")

    roles = payload.get(c.CLAIM_ROLES)
    if roles is None:
        raise ClaimMissing("roles is missing", field="roles")
    mentor = payload.get(c.CLAIM_ROLE_SCOPE_MENTOR)

    target_link_uri = payload.get(c.CLAIM_TARGET_LINK_URI)
    if target_link_uri is None or target_link_uri == "":
        raise ClaimMissing("target_link_uri is missing", field="target_link_uri")
    if not isinstance(target_link_uri, str):
        raise ClaimInvalid("target_link_uri must be a string", field="target_link_uri")
    if not tool.owns(target_link_uri):
        raise TargetLinkUriForeign("target_link_uri does not point at Relais")

    if message_type == MESSAGE_RESOURCE_LINK:
        resource_link = c.load_resource_link(payload.get(c.CLAIM_RESOURCE_LINK))
        deep_linking = None
    else:
        resource_link = None
        deep_linking = c.load_deep_linking_settings(payload.get(c.CLAIM_DEEP_LINKING_SETTINGS))

    document_target, return_url, presentation_locale = c.string_map(
        payload.get(c.CLAIM_LAUNCH_PRESENTATION),
        "launch_presentation",
        ("document_target", "return_url", "locale"),
    )
    guid, platform_name, product_family_code = c.string_map(
        payload.get(c.CLAIM_TOOL_PLATFORM), "tool_platform", ("guid", "name", "product_family_code")
    )
    return LaunchData(
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployment_id=deployment_id,
        message_type=message_type,
        version=LTI_VERSION,
        target_link_uri=target_link_uri,
        sub=sub,
        roles=c.string_list(roles, "roles"),
        nonce=nonce,
        resource_link=resource_link,
        context=c.load_context(payload.get(c.CLAIM_CONTEXT)),
        role_scope_mentor=() if mentor is None else c.string_list(mentor, "role_scope_mentor"),
        custom=c.load_custom(payload.get(c.CLAIM_CUSTOM)),
        name=c.optional_str(payload, "name"),
        given_name=c.optional_str(payload, "given_name"),
        family_name=c.optional_str(payload, "family_name"),
        email=c.optional_str(payload, "email"),
        locale=presentation_locale or c.optional_str(payload, "locale"),
        document_target=document_target,
        return_url=return_url,
        platform_guid=guid,
        platform_name=platform_name,
        product_family_code=product_family_code,
        deep_linking=deep_linking,
        names_role_service=c.load_names_role_service(payload.get(c.CLAIM_NRPS)),
        extra_claims=MappingProxyType({k: v for k, v in payload.items() if k not in _MODELLED}),
    )
