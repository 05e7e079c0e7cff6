"""The LTI 1.3 core of Relais: OIDC login, launch validation, deep linking and key sets.

The rule: ``lti`` never imports flask; HTTP, clock and storage come in through Protocols
(``lti.http.HttpClient``, ``lti.registration.Clock``, ``RegistrationStore``, ``NonceStore``).
The service wires real implementations in; tests pass in-memory fakes.
"""

from lti.deep_linking import build_response
from lti.errors import ERROR_CODES, LtiError
from lti.http import HttpClient, HttpResponse, RequestsHttpClient
from lti.keys import ToolKeyRecord, ToolKeySet, rotate, sign_jwt
from lti.launch import validate
from lti.launch_data import LaunchData
from lti.oidc import AuthRedirect, begin_login
from lti.platform_keys import PlatformKeyCache
from lti.registration import (
    Clock,
    NonceOutcome,
    NonceStore,
    PlatformRegistration,
    RegistrationStore,
)
from lti.tool import ToolConfig

__all__ = [
    "ERROR_CODES",
    "AuthRedirect",
    "Clock",
    "HttpClient",
    "HttpResponse",
    "LaunchData",
    "LtiError",
    "NonceOutcome",
    "NonceStore",
    "PlatformKeyCache",
    "PlatformRegistration",
    "RegistrationStore",
    "RequestsHttpClient",
    "ToolConfig",
    "ToolKeyRecord",
    "ToolKeySet",
    "begin_login",
    "build_response",
    "rotate",
    "sign_jwt",
    "validate",
]
