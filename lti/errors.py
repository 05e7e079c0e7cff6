"""Coded errors for everything LTI.

Every failure raised by ``lti`` is an :class:`LtiError` subclass with a stable, short ``code``
that callers branch on and tests assert, a ``description`` for logs (never shown raw to a
parent), the offending ``field`` when there is one, and the HTTP ``status`` the service
should answer with. The service maps each code to a translated, human page.
"""

from __future__ import annotations


class LtiError(Exception):
    """Base of every LTI failure. Subclasses set ``code`` and ``status``."""

    code: str = "lti_error"
    status: int = 400

    def __init__(self, description: str = "", *, field: str | None = None) -> None:
        super().__init__(description or self.code)
        self.description = description or self.code
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r})"


# --- the browser round trip (OIDC state) -------------------------------------------------------


class StateMissing(LtiError):
    """The launch form carries no ``state``."""

    code = "state_missing"


class StateMismatch(LtiError):
    """The launch ``state`` is not the one bound to this browser (or the browser lost it)."""

    code = "state_mismatch"
    status = 401


# --- the id_token as a JWS ---------------------------------------------------------------------


class JwtMalformed(LtiError):
    """The ``id_token`` is absent, too long, or not three base64url parts of JSON."""

    code = "jwt_malformed"


class JwtAlgNotAllowed(LtiError):
    """The JWS header asks for anything but RS256 (``none``, HS256, ES256, ...)."""

    code = "jwt_alg_not_allowed"
    status = 401


class JwtKidMissing(LtiError):
    """The JWS header names no key (``kid``)."""

    code = "jwt_kid_missing"
    status = 401


class JwtKidUnknown(LtiError):
    """The platform's key set has no key with this ``kid``, even after a refetch."""

    code = "jwt_kid_unknown"
    status = 401


class JwtSignatureInvalid(LtiError):
    """The RS256 signature does not verify with the platform's key."""

    code = "jwt_signature_invalid"
    status = 401


# --- which platform ----------------------------------------------------------------------------


class PlatformUnknown(LtiError):
    """No registration for this issuer (and client id)."""

    code = "platform_unknown"
    status = 403


class ClientAmbiguous(LtiError):
    """The issuer has several registrations and the request does not say which client."""

    code = "client_ambiguous"


class AudMismatch(LtiError):
    """The token's audience does not contain our client id."""

    code = "aud_mismatch"
    status = 401


class AudUntrusted(LtiError):
    """The token is also addressed to an audience we do not trust."""

    code = "aud_untrusted"
    status = 401


class AzpMismatch(LtiError):
    """The token's authorized party is not our client id."""

    code = "azp_mismatch"
    status = 401


class AzpMissing(LtiError):
    """The token has several audiences and no ``azp`` to say which one is meant."""

    code = "azp_missing"
    status = 401


# --- time and replay ---------------------------------------------------------------------------


class TokenExpired(LtiError):
    """``exp`` is past, beyond the leeway."""

    code = "token_expired"
    status = 401


class TokenIssuedInFuture(LtiError):
    """``iat`` is in the future, beyond the leeway."""

    code = "token_issued_in_future"
    status = 401


class NonceMissing(LtiError):
    """The token carries no ``nonce``."""

    code = "nonce_missing"
    status = 401


class NonceReplayed(LtiError):
    """The nonce was issued by us and has already been used: a replayed launch."""

    code = "nonce_replayed"
    status = 401


class NonceUnknown(LtiError):
    """The nonce was never issued by us, or has expired."""

    code = "nonce_unknown"
    status = 401


# --- the LTI message ---------------------------------------------------------------------------


class DeploymentMissing(LtiError):
    """The token carries no ``deployment_id`` claim."""

    code = "deployment_missing"


class DeploymentUnknown(LtiError):
    """The deployment id is not registered for this platform."""

    code = "deployment_unknown"
    status = 403


class VersionInvalid(LtiError):
    """The LTI ``version`` claim is absent or not ``1.3.0``."""

    code = "version_invalid"


class MessageTypeMissing(LtiError):
    """The token carries no ``message_type`` claim."""

    code = "message_type_missing"


class MessageTypeUnsupported(LtiError):
    """The message type is not one Relais handles."""

    code = "message_type_unsupported"


class ClaimMissing(LtiError):
    """A claim required by the message is absent; ``field`` is its path (e.g. ``roles``)."""

    code = "claim_missing"


class ClaimInvalid(LtiError):
    """A claim has the wrong shape; ``field`` is its path (e.g. ``context.id``)."""

    code = "claim_invalid"


class TargetLinkUriForeign(LtiError):
    """``target_link_uri`` points outside this tool."""

    code = "target_link_uri_foreign"


# --- the OIDC login request --------------------------------------------------------------------


class LoginParamMissing(LtiError):
    """A required login parameter is absent; ``field`` names it."""

    code = "login_param_missing"


class LoginParamInvalid(LtiError):
    """A login parameter is not a sane string; ``field`` names it."""

    code = "login_param_invalid"


# --- talking to the platform -------------------------------------------------------------------


class PlatformUnreachable(LtiError):
    """An HTTP call to the platform failed: connection error or timeout."""

    code = "platform_unreachable"
    status = 502


class PlatformKeysUnavailable(LtiError):
    """The platform's key set cannot be fetched and no cached copy is left to serve."""

    code = "platform_keys_unavailable"
    status = 502


# --- deep linking ------------------------------------------------------------------------------


class DeepLinkingTypeNotAccepted(LtiError):
    """A content item's type is not accepted, or several items where one is allowed."""

    code = "deep_linking_type_not_accepted"


# --- services: service tokens and Names and Role Provisioning ---------------------------------


class ServiceTokenRefused(LtiError):
    """The platform's token endpoint refused the client assertion or answered no usable token."""

    code = "service_token_refused"
    status = 403


class ScopeNotGranted(LtiError):
    """The platform granted a token, but not for the scope the call needs."""

    code = "scope_not_granted"
    status = 403


class MembershipsRefused(LtiError):
    """The memberships endpoint refused the token (401, 403) or does not know the class (404)."""

    code = "memberships_refused"
    status = 403


class MembershipsInvalid(LtiError):
    """The memberships endpoint answered something that is not a membership container."""

    code = "memberships_invalid"


# --- dynamic registration (lti.dynamic_registration) ------------------------------------------


class RegistrationParamInvalid(LtiError):
    """``openid_configuration`` is missing or not an absolute http(s) URL, or the
    ``registration_token`` is not a sane string; ``field`` names the parameter."""

    code = "registration_param_invalid"


class ConfigurationUnavailable(LtiError):
    """The configuration URL answered with an HTTP error."""

    code = "registration_configuration_unavailable"
    status = 502


class ConfigurationInvalid(LtiError):
    """The configuration is not JSON, not an object, or lacks a member Relais needs;
    ``field`` names the member."""

    code = "registration_configuration_invalid"
    status = 502


class IssuerMismatch(LtiError):
    """The issuer named by the configuration does not own the URL it was read from: another
    site would be registering in a platform's name."""

    code = "registration_issuer_mismatch"


class RegistrationRefused(LtiError):
    """The registration endpoint answered 4xx (token used or expired, request refused)."""

    code = "registration_refused"


class RegistrationPlatformError(LtiError):
    """The registration endpoint answered 5xx or another non-success status."""

    code = "registration_platform_error"
    status = 502


class RegistrationResponseInvalid(LtiError):
    """The registration endpoint answered success with something unreadable, or without a
    ``client_id``; ``field`` names what is missing."""

    code = "registration_response_invalid"
    status = 502


def _all_codes() -> tuple[str, ...]:
    # Walk the subclass tree rather than keep a hand list, so a new error cannot be forgotten
    # (the service tests that every code has a French page). Every error lives in this
    # module, so the tree is complete once it is imported.
    found: list[str] = []
    stack: list[type[LtiError]] = list(LtiError.__subclasses__())
    while stack:
        cls = stack.pop(0)
        if cls.code not in found:
            found.append(cls.code)
        stack.extend(cls.__subclasses__())
    return tuple(found)


#: Every error code ``lti`` can raise, in definition order.
ERROR_CODES: tuple[str, ...] = _all_codes()
