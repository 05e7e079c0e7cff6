"""Dynamic registration, tool side, without a network: reading configurations as real platforms
write them, the issuer check, what Relais asks for, and every way the platform can fail."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti.dynamic_registration import (
    NRPS_READONLY,
    PLATFORM_CONFIGURATION,
    REGISTRATION_ERROR_CODES,
    TOOL_CONFIGURATION,
    ConfigurationInvalid,
    ConfigurationUnavailable,
    IssuerMismatch,
    PlatformConfiguration,
    RegistrationParamInvalid,
    RegistrationPlatformError,
    RegistrationRefused,
    RegistrationResponseInvalid,
    ToolDescription,
    fetch_configuration,
    issuer_owns,
    parse_configuration,
    parse_registration_response,
    read_initiation,
    register,
    registration_request,
)
from lti.errors import LtiError, PlatformUnreachable
from lti.http import HttpResponse

MOODLE = "https://moodle.example.com"
CONFIG_URL = MOODLE + "/mod/lti/openid-configuration.php"

TOOL = ToolDescription(
    client_name="Relais",
    initiate_login_uri="https://relais.example.fr/lti/login",
    redirect_uris=("https://relais.example.fr/lti/launch",),
    jwks_uri="https://relais.example.fr/lti/jwks",
    target_link_uri="https://relais.example.fr/home",
    deep_linking_uri="https://relais.example.fr/home",
    logo_uri="https://relais.example.fr/static/relais-logo.svg",
    custom_parameters={"relais_registration": "dynamic"},
)


def moodle_config(**overrides: Any) -> dict[str, Any]:
    """Moodle 4.x's openid-configuration.php, as it writes it."""
    document: dict[str, Any] = {
        "issuer": MOODLE,
        "token_endpoint": MOODLE + "/mod/lti/token.php",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": MOODLE + "/mod/lti/certs.php",
        "authorization_endpoint": MOODLE + "/mod/lti/auth.php",
        "registration_endpoint": MOODLE + "/mod/lti/openid-registration.php",
        "scopes_supported": [
            "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            NRPS_READONLY,
            "openid",
        ],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        PLATFORM_CONFIGURATION: {
            "product_family_code": "moodle",
            "version": "4.1.2 (Build: 20230313)",
            "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
            "placements": ["AddContentMenu"],
            "variables": ["basic-lti-launch-request"],
        },
    }
    document.update(overrides)
    return document


def old_moodle_config() -> dict[str, Any]:
    """Moodle 3.10-4.0: a space at the end of the block's key, no authorization_endpoint, and
    'LtiResourceLink' for the resource link message."""
    document = moodle_config()
    del document["authorization_endpoint"]
    block = document.pop(PLATFORM_CONFIGURATION)
    block["messages_supported"] = ["LtiResourceLink", "LtiDeepLinkingRequest"]
    document[PLATFORM_CONFIGURATION + " "] = block
    return document


class Recorder:
    """An HttpClient answering from a table, remembering what was sent (headers included)."""

    def __init__(self, answers: Mapping[str, HttpResponse | Exception]) -> None:
        self.answers = dict(answers)
        self.sent: list[tuple[str, str, Any, Mapping[str, str]]] = []

    def _answer(self, method: str, url: str, body: Any, headers: Mapping[str, str]) -> HttpResponse:
        self.sent.append((method, url, body, dict(headers)))
        answer = self.answers.get(url, HttpResponse(404, {}, b"not found"))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, url: str, *, timeout: float = 5.0) -> HttpResponse:
        return self._answer("GET", url, None, {})

    def post_form(self, url: str, data: Mapping[str, str], *, timeout: float = 5.0,
                  headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self._answer("POST", url, dict(data), headers or {})

    def post_json(self, url: str, json: Any, *, timeout: float = 5.0,
                  headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self._answer("POST", url, json, headers or {})


def answer(document: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(document).encode())


# --- the issuer check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "url"),
    [
        (MOODLE, CONFIG_URL),  # Moodle: the issuer is the site's root
        (MOODLE + "/", CONFIG_URL),
        ("https://school.fr/moodle", "https://school.fr/moodle/mod/lti/openid-configuration.php"),
        ("https://school.fr/moodle/", "https://school.fr/moodle/mod/lti/openid-configuration.php"),
        ("https://MOODLE.example.com", CONFIG_URL),  # host names ignore case
        ("https://moodle.example.com:443", CONFIG_URL),  # the default port, said or not
        ("https://canvas.instructure.com",
         "https://canvas.instructure.com/api/lti/security/openid-configuration?registration_token=x"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123/openid-configuration"),
    ],
)
def test_an_issuer_owns_the_urls_under_it(issuer: str, url: str) -> None:
    assert issuer_owns(issuer, url)


@pytest.mark.parametrize(
    ("issuer", "url"),
    [
        (MOODLE, "https://moodle.example.com.evil/mod/lti/openid-configuration.php"),
        ("https://moodle.example.com.evil", CONFIG_URL),
        (MOODLE, "https://evil.example/mod/lti/openid-configuration.php"),
        (MOODLE, "http://moodle.example.com/mod/lti/openid-configuration.php"),  # scheme
        (MOODLE, "https://moodle.example.com:8443/mod/lti/openid-configuration.php"),  # port
        ("https://school.fr/moodle", "https://school.fr/moodle2/mod/lti/openid-configuration.php"),
        ("https://school.fr/moodle", "https://school.fr/openid-configuration.php"),
        ("https://school.fr/moodle", "https://school.fr/moodle/../evil/openid-configuration.php"),
        ("https://school.fr/moodle", "https://school.fr/moodle/%2e%2e/evil/config"),
        (MOODLE, "https://moodle.example.com@evil.example/openid-configuration.php"),
        ("https://evil.example@moodle.example.com", CONFIG_URL),
        (MOODLE + "?x=1", CONFIG_URL),
        ("moodle.example.com", CONFIG_URL),
        ("", CONFIG_URL),
        ("javascript:alert(1)", CONFIG_URL),
    ],
)
def test_an_issuer_never_owns_another_site_or_a_sibling_path(issuer: str, url: str) -> None:
    assert not issuer_owns(issuer, url)


@given(st.text(max_size=40))
def test_a_look_alike_host_is_never_owned(suffix: str) -> None:
    host = "moodle.example.com" + suffix
    if suffix in ("", ".") or suffix.startswith((":", "/", "?", "#", "\\")):
        return  # the same host, or not a host at all
    assert not issuer_owns(MOODLE, f"https://{host}/mod/lti/openid-configuration.php")


# --- the initiation request ------------------------------------------------------------------


def test_the_initiation_carries_the_configuration_url_and_maybe_a_token() -> None:
    found = read_initiation({"openid_configuration": CONFIG_URL, "registration_token": "abc.def"})
    assert (found.configuration_url, found.registration_token) == (CONFIG_URL, "abc.def")
    assert read_initiation({"openid_configuration": CONFIG_URL}).registration_token is None
    assert read_initiation({"openid_configuration": CONFIG_URL,
                            "registration_token": ""}).registration_token is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "openid_configuration"),
        ({"openid_configuration": ""}, "openid_configuration"),
        ({"openid_configuration": "/mod/lti/openid-configuration.php"}, "openid_configuration"),
        ({"openid_configuration": "ftp://moodle.example.com/x"}, "openid_configuration"),
        ({"openid_configuration": "https://a@moodle.example.com/x"}, "openid_configuration"),
        ({"openid_configuration": "https://" + "a" * 3000 + ".fr/"}, "openid_configuration"),
        ({"openid_configuration": CONFIG_URL, "registration_token": "a b"}, "registration_token"),
        ({"openid_configuration": CONFIG_URL, "registration_token": "a\nb"}, "registration_token"),
        ({"openid_configuration": CONFIG_URL, "registration_token": "x" * 9000},
         "registration_token"),
    ],
)
def test_a_bad_initiation_names_its_parameter(params: dict[str, str], field: str) -> None:
    with pytest.raises(RegistrationParamInvalid) as raised:
        read_initiation(params)
    assert (raised.value.code, raised.value.field) == ("registration_param_invalid", field)


# --- reading configurations ------------------------------------------------------------------


def test_moodle_4_configuration() -> None:
    config = parse_configuration(moodle_config())
    assert config == PlatformConfiguration(
        issuer=MOODLE,
        authorization_endpoint=MOODLE + "/mod/lti/auth.php",
        token_endpoint=MOODLE + "/mod/lti/token.php",
        jwks_uri=MOODLE + "/mod/lti/certs.php",
        registration_endpoint=MOODLE + "/mod/lti/openid-registration.php",
        scopes_supported=frozenset(moodle_config()["scopes_supported"]),
        claims_supported=frozenset({"sub", "iss", "name", "given_name", "family_name", "email"}),
        messages_supported=frozenset({"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}),
        product_family_code="moodle",
        version="4.1.2 (Build: 20230313)",
    )


def test_older_moodle_configuration_is_read_despite_its_spelling() -> None:
    config = parse_configuration(old_moodle_config())
    assert config.product_family_code == "moodle"
    assert config.authorization_endpoint == MOODLE + "/mod/lti/auth.php"
    assert config.messages_supported == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def test_canvas_style_configuration() -> None:
    canvas = "https://canvas.instructure.com"
    config = parse_configuration({
        "issuer": canvas,
        "authorization_endpoint": "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "registration_endpoint": canvas + "/api/lti/registrations",
        "jwks_uri": "https://sso.canvaslms.com/api/lti/security/jwks",
        "token_endpoint": "https://sso.canvaslms.com/login/oauth2/token",
        "scopes_supported": "openid " + NRPS_READONLY,
        PLATFORM_CONFIGURATION: {
            "product_family_code": "Canvas",
            "version": "OpenSource",
            "messages_supported": [
                {"type": "LtiResourceLinkRequest", "placements": ["course_navigation"]},
                {"type": "LtiDeepLinkingRequest", "placements": ["editor_button"]},
                {"placements": ["no type"]},
                42,
            ],
        },
    })
    assert config.product_family_code == "canvas"
    assert config.scopes_supported == {"openid", NRPS_READONLY}
    assert config.messages_supported == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ([], None),
        ("a string", None),
        (moodle_config(issuer=None), "issuer"),
        (moodle_config(issuer="moodle.example.com"), "issuer"),
        (moodle_config(jwks_uri=""), "jwks_uri"),
        (moodle_config(registration_endpoint=["https://x"]), "registration_endpoint"),
        (moodle_config(token_endpoint="javascript:alert(1)"), "token_endpoint"),
        ({k: v for k, v in moodle_config().items() if k != "authorization_endpoint"}
         | {PLATFORM_CONFIGURATION: {"product_family_code": "sakai"}}, "authorization_endpoint"),
    ],
)
def test_a_configuration_missing_what_relais_needs_names_it(document: Any, field: str) -> None:
    with pytest.raises(ConfigurationInvalid) as raised:
        parse_configuration(document)
    assert raised.value.field == field


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=6),
    max_leaves=20,
)


@settings(max_examples=200)
@given(st.dictionaries(
    st.sampled_from(list(moodle_config()) + [PLATFORM_CONFIGURATION + " "]), json_values))
def test_any_json_gives_a_configuration_or_a_coded_error(document: dict[str, Any]) -> None:
    try:
        parse_configuration(moodle_config() | document)
    except ConfigurationInvalid as error:
        assert error.code == "registration_configuration_invalid"


# --- fetching it -----------------------------------------------------------------------------


def test_fetching_checks_the_issuer_against_the_url() -> None:
    http = Recorder({CONFIG_URL: answer(moodle_config())})
    assert fetch_configuration(http, CONFIG_URL).issuer == MOODLE
    assert http.sent == [("GET", CONFIG_URL, None, {})]

    evil = "https://moodle.example.com.evil/mod/lti/openid-configuration.php"
    http = Recorder({evil: answer(moodle_config())})
    with pytest.raises(IssuerMismatch) as raised:
        fetch_configuration(http, evil)
    assert (raised.value.code, raised.value.field) == ("registration_issuer_mismatch", "issuer")


@pytest.mark.parametrize(
    ("served", "error"),
    [
        (HttpResponse(404, {}, b"<html>not found</html>"), ConfigurationUnavailable),
        (HttpResponse(500, {}, b"oops"), ConfigurationUnavailable),
        (HttpResponse(200, {}, b"<html>a login page</html>"), ConfigurationInvalid),
        (HttpResponse(200, {}, b"\xff\xfe garbage"), ConfigurationInvalid),
        (HttpResponse(200, {}, b"[" * 100_000), ConfigurationInvalid),
        (PlatformUnreachable("GET failed: ReadTimeout"), PlatformUnreachable),
    ],
)
def test_a_platform_failing_to_serve_its_configuration(served: Any, error: type[LtiError]) -> None:
    with pytest.raises(error):
        fetch_configuration(Recorder({CONFIG_URL: served}), CONFIG_URL)


# --- what Relais asks for --------------------------------------------------------------------


def test_the_registration_asks_for_names_nrps_read_only_and_deep_linking() -> None:
    body = registration_request(TOOL, parse_configuration(moodle_config()))
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["response_types"] == ["id_token"]
    assert body["initiate_login_uri"] == "https://relais.example.fr/lti/login"
    assert body["redirect_uris"] == ["https://relais.example.fr/lti/launch"]
    assert body["jwks_uri"] == "https://relais.example.fr/lti/jwks"
    assert body["client_name"] == "Relais"
    assert body["logo_uri"].endswith(".svg")
    # Only the read-only membership scope, though Moodle offers grades too.
    assert body["scope"] == NRPS_READONLY
    block = body[TOOL_CONFIGURATION]
    assert block["domain"] == "relais.example.fr"
    assert block["target_link_uri"] == "https://relais.example.fr/home"
    assert "email" not in block["claims"] and "name" in block["claims"]
    assert block["messages"] == [{"type": "LtiDeepLinkingRequest",
                                  "target_link_uri": "https://relais.example.fr/home",
                                  "label": "Relais"}]
    assert block["custom_parameters"] == {"relais_registration": "dynamic"}
    json.dumps(body)  # serialisable as is


def test_no_scope_is_asked_for_when_the_platform_offers_none() -> None:
    config = parse_configuration(moodle_config(scopes_supported=["openid"]))
    assert registration_request(TOOL, config)["scope"] == ""


def test_the_domain_keeps_a_port_that_is_not_the_default() -> None:
    tool = replace(TOOL, target_link_uri="http://localhost:5000/home")
    assert tool.domain == "localhost:5000"
    assert TOOL.domain == "relais.example.fr"


# --- registering -----------------------------------------------------------------------------

REGISTRATION_ENDPOINT = MOODLE + "/mod/lti/openid-registration.php"


def moodle_answer(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "client_id": "kLm4pQ7rS9",
        "response_types": ["id_token"],
        "jwks_uri": TOOL.jwks_uri,
        "initiate_login_uri": TOOL.initiate_login_uri,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": list(TOOL.redirect_uris),
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": "Relais",
        "scope": NRPS_READONLY,
        TOOL_CONFIGURATION: {"version": "1.3.0", "deployment_id": "7",
                             "target_link_uri": TOOL.target_link_uri,
                             "domain": "relais.example.fr", "claims": ["sub", "iss", "name"]},
    }
    document.update(overrides)
    return document


def test_registering_sends_the_token_as_bearer_and_reads_the_ids() -> None:
    http = Recorder({REGISTRATION_ENDPOINT: answer(moodle_answer())})
    result = register(http, parse_configuration(moodle_config()), TOOL, "the.reg.token")
    assert (result.client_id, result.deployment_id) == ("kLm4pQ7rS9", "7")
    assert result.scopes == {NRPS_READONLY}
    [(method, url, body, headers)] = http.sent
    assert (method, url) == ("POST", REGISTRATION_ENDPOINT)
    assert headers["Authorization"] == "Bearer the.reg.token"
    assert body["client_name"] == "Relais"


def test_without_a_token_no_authorization_header_is_sent() -> None:
    http = Recorder({REGISTRATION_ENDPOINT: answer(moodle_answer())})
    register(http, parse_configuration(moodle_config()), TOOL, None)
    assert "Authorization" not in http.sent[0][3]


@pytest.mark.parametrize(
    ("document", "client_id", "deployment_id"),
    [
        (moodle_answer(client_id=1234), "1234", "7"),
        (moodle_answer(**{TOOL_CONFIGURATION: {"deployment_id": 12}}), "kLm4pQ7rS9", "12"),
        # an older Moodle answered the auth method as an array: not a member Relais reads
        (moodle_answer(token_endpoint_auth_method=["private_key_jwt"]), "kLm4pQ7rS9", "7"),
        ({"client_id": "c", TOOL_CONFIGURATION + " ": {"deployment_id": "d"}}, "c", "d"),
        ({"client_id": "c", "deployment_id": "top-level"}, "c", "top-level"),
        ({"client_id": "c"}, "c", None),
        ({"client_id": "c", TOOL_CONFIGURATION: {"deployment_id": True}}, "c", None),
    ],
)
def test_registration_answers_are_read_leniently(document: dict[str, Any], client_id: str,
                                                 deployment_id: str | None) -> None:
    result = parse_registration_response(document)
    assert (result.client_id, result.deployment_id) == (client_id, deployment_id)


@pytest.mark.parametrize(
    ("served", "error"),
    [
        (answer({"error": "token_already_used"}, 401), RegistrationRefused),
        (HttpResponse(400, {}, b"missing required attribute client_name"), RegistrationRefused),
        (HttpResponse(500, {}, b"<h1>Error</h1>"), RegistrationPlatformError),
        (HttpResponse(503, {}, b""), RegistrationPlatformError),
        (HttpResponse(302, {"Location": "/login"}, b""), RegistrationPlatformError),
        (HttpResponse(200, {}, b"<html>ok</html>"), RegistrationResponseInvalid),
        (answer(["client_id"]), RegistrationResponseInvalid),
        (answer(moodle_answer(client_id="")), RegistrationResponseInvalid),
        (answer(moodle_answer(client_id=None)), RegistrationResponseInvalid),
        (answer(moodle_answer(client_id={"id": 1})), RegistrationResponseInvalid),
        (answer(moodle_answer(client_id="x" * 300)), RegistrationResponseInvalid),
        (PlatformUnreachable("POST failed: ConnectTimeout"), PlatformUnreachable),
    ],
)
def test_every_platform_failure_is_a_coded_error(served: Any, error: type[LtiError]) -> None:
    http = Recorder({REGISTRATION_ENDPOINT: served})
    with pytest.raises(error) as raised:
        register(http, parse_configuration(moodle_config()), TOOL, "t")
    assert raised.value.code in (*REGISTRATION_ERROR_CODES, "platform_unreachable")


def test_the_error_codes_are_distinct_and_lti_errors() -> None:
    assert len(set(REGISTRATION_ERROR_CODES)) == len(REGISTRATION_ERROR_CODES) == 7
    assert all(code.startswith("registration_") for code in REGISTRATION_ERROR_CODES)
