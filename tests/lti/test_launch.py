"""Launch validation: one test per rejection, each asserting the error code and field."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from lti.errors import LtiError
from lti.launch_data import MESSAGE_DEEP_LINKING, LaunchData
from tests.lti.conftest import Launcher
from tests.lti.platform import DROP, TOOL_LAUNCH_URL, FakePlatform, b64url


def rejects(launcher: Launcher, code: str, field: str | None = None, **kwargs: Any) -> LtiError:
    with pytest.raises(LtiError) as info:
        launcher.launch(**kwargs)
    assert info.value.code == code, info.value.description
    assert info.value.field == field
    return info.value


def rejects_form(
    launcher: Launcher, form: dict[str, Any], code: str, browser_state: str | None = "x"
) -> None:
    with pytest.raises(LtiError) as info:
        launcher.validate_form(form, browser_state=browser_state)
    assert info.value.code == code, info.value.description


# --- success -----------------------------------------------------------------------------------


def test_valid_resource_link_launch(launcher: Launcher) -> None:
    data = launcher.launch()
    assert isinstance(data, LaunchData)
    assert data.issuer == launcher.platform.issuer
    assert data.client_id == launcher.platform.client_id
    assert data.deployment_id == "1"
    assert data.message_type == "LtiResourceLinkRequest"
    assert data.version == "1.3.0"
    assert data.sub == "user-42"
    assert data.nonce == "nonce-1"
    assert data.target_link_uri == TOOL_LAUNCH_URL
    assert data.roles == ("http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",)
    assert data.resource_link is not None and data.resource_link.id == "link-1"
    assert data.resource_link.title == "Espace parents"
    assert data.context is not None and data.context.label == "6A"
    assert data.custom == {"audience": "parents"}
    assert (data.name, data.given_name, data.family_name) == ("Awa Diallo", "Awa", "Diallo")
    assert data.email == "awa.diallo@example.org"
    assert data.locale == "fr"
    assert data.document_target == "iframe"
    assert data.platform_name == "Collège Jean Moulin"
    assert data.product_family_code == "moodle"
    assert data.deep_linking is None
    assert data.extra_claims == {}


def test_valid_deep_linking_launch(launcher: Launcher) -> None:
    data = launcher.launch(launcher.claims(message_type=MESSAGE_DEEP_LINKING))
    assert data.resource_link is None
    assert data.deep_linking is not None
    assert data.deep_linking.accept_types == ("ltiResourceLink",)
    assert data.deep_linking.data == "opaque-platform-data"


def test_unknown_claims_go_to_extra_claims(launcher: Launcher) -> None:
    sdet = "https://www.ent.example.fr/claim/sdet"
    data = launcher.launch(launcher.claims(**{sdet: {"profile": "National_TUT"}}))
    assert data.extra_claims[sdet] == {"profile": "National_TUT"}


def test_short_and_unknown_roles_are_kept_as_sent(launcher: Launcher) -> None:
    roles = ["Learner", "Instructor", "urn:example:role:Parent", ""]
    data = launcher.launch(launcher.claims(roles=roles))
    assert data.roles == tuple(roles)


def test_empty_roles_are_accepted(launcher: Launcher) -> None:
    assert launcher.launch(launcher.claims(roles=[])).roles == ()


def test_role_scope_mentor_and_nrps(launcher: Launcher) -> None:
    nrps = {
        "context_memberships_url": "https://moodle.example.org/mod/lti/services.php/2/members",
        "service_versions": ["2.0"],
    }
    data = launcher.launch(launcher.claims(role_scope_mentor=["child-1", "child-2"], nrps=nrps))
    assert data.role_scope_mentor == ("child-1", "child-2")
    assert data.names_role_service is not None
    assert data.names_role_service.service_versions == ("2.0",)


def test_aud_as_a_list_of_one(launcher: Launcher) -> None:
    assert launcher.launch(launcher.claims(aud=[launcher.platform.client_id])).sub == "user-42"


def test_several_aud_all_ours_with_azp(launcher: Launcher) -> None:
    cid = launcher.platform.client_id
    data = launcher.launch(launcher.claims(aud=[cid, cid], azp=cid))
    assert data.client_id == cid


def test_leeway_accepts_a_token_5_seconds_expired(launcher: Launcher) -> None:
    claims = launcher.claims()
    launcher.clock.advance(claims["exp"] - launcher.clock.now() + 5)
    assert launcher.launch(claims).sub == "user-42"


def test_leeway_accepts_iat_slightly_in_the_future(launcher: Launcher) -> None:
    claims = launcher.claims(iat=int(launcher.clock.now()) + 5)
    assert launcher.launch(claims).sub == "user-42"


def test_sub_may_be_absent_when_anonymous_launches_are_allowed(
    launcher: Launcher, platform: FakePlatform
) -> None:
    launcher.registrations.registrations = [platform.registration(allow_anonymous=True)]
    assert launcher.launch(launcher.claims(sub=DROP)).sub is None


def test_second_client_of_the_same_issuer(launcher: Launcher, platform: FakePlatform) -> None:
    launcher.registrations.add(platform.registration(client_id="relais-client-2"))
    data = launcher.launch(launcher.claims(aud="relais-client-2"))
    assert data.client_id == "relais-client-2"


# --- state -------------------------------------------------------------------------------------


def test_state_missing(launcher: Launcher) -> None:
    rejects_form(launcher, {"id_token": launcher.token()}, "state_missing")


def test_state_mismatch(launcher: Launcher) -> None:
    form = {"state": "another", "id_token": launcher.token()}
    rejects_form(launcher, form, "state_mismatch", browser_state="state-of-this-browser")


def test_state_lost_by_the_browser(launcher: Launcher) -> None:
    form = {"state": launcher.state, "id_token": launcher.token()}
    rejects_form(launcher, form, "state_mismatch", browser_state=None)


def test_state_with_non_ascii_characters(launcher: Launcher) -> None:
    form = {"state": "état\udcff", "id_token": launcher.token()}
    rejects_form(launcher, form, "state_mismatch", browser_state="état")


# --- JWT shape and header ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "a..c",
        "!!!.###.$$$",
        b64url(b"not json") + "." + b64url(b"{}") + ".c2ln",
        b64url(b"[1,2]") + "." + b64url(b"{}") + ".c2ln",
        b64url(b'{"alg":"RS256","kid":"k"}') + "." + b64url(b'"a string"') + ".c2ln",
        b64url(b'{"alg":"RS256","kid":"k"}') + "." + b64url(b"\xff\xfe") + ".c2ln",
        "a" * 70_000 + ".b.c",
        "eyJ=.eyJ.c2ln",
    ],
)
def test_jwt_malformed(launcher: Launcher, token: Any) -> None:
    form = (
        {"state": launcher.state} if token is None else {"state": launcher.state, "id_token": token}
    )
    rejects_form(launcher, form, "jwt_malformed", browser_state=launcher.state)


def test_jwt_with_critical_header_extension(launcher: Launcher) -> None:
    rejects(launcher, "jwt_malformed", crit=["exp"])


def test_alg_none(launcher: Launcher) -> None:
    header = b64url(json.dumps({"alg": "none", "kid": launcher.platform.kid}).encode())
    token = header + "." + b64url(json.dumps(launcher.claims()).encode()) + "."
    rejects_form(
        launcher,
        {"state": launcher.state, "id_token": token + "AA"},
        "jwt_alg_not_allowed",
        browser_state=launcher.state,
    )


def test_hs256_signed_with_the_public_key_as_secret(launcher: Launcher) -> None:
    # The classic key-confusion attack: HMAC keyed with the platform's public PEM.
    header = b64url(json.dumps({"alg": "HS256", "kid": launcher.platform.kid}).encode())
    signing_input = header + "." + b64url(json.dumps(launcher.claims()).encode())
    mac = hmac.new(launcher.platform.public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + b64url(mac)
    rejects_form(
        launcher,
        {"state": launcher.state, "id_token": token},
        "jwt_alg_not_allowed",
        browser_state=launcher.state,
    )


@pytest.mark.parametrize("alg", ["RS512", "ES256", "PS256", "rs256", None, 256])
def test_alg_other_than_rs256(launcher: Launcher, alg: Any) -> None:
    rejects(launcher, "jwt_alg_not_allowed", alg=alg)


def test_no_kid(launcher: Launcher) -> None:
    rejects(launcher, "jwt_kid_missing", kid=DROP)


def test_kid_not_a_string(launcher: Launcher) -> None:
    rejects(launcher, "jwt_kid_missing", kid=7)


def test_unknown_kid(launcher: Launcher) -> None:
    rejects(launcher, "jwt_kid_unknown", kid="no-such-key")


def test_bad_signature(launcher: Launcher) -> None:
    token = launcher.token()
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[10] ^= 1
    forged = f"{head}.{body}.{b64url(bytes(raw))}"
    rejects_form(
        launcher,
        {"state": launcher.state, "id_token": forged},
        "jwt_signature_invalid",
        browser_state=launcher.state,
    )


def test_signed_by_another_key(launcher: Launcher) -> None:
    impostor = FakePlatform(key_name="impostor")
    token = impostor.sign(launcher.claims())
    rejects_form(
        launcher,
        {"state": launcher.state, "id_token": token},
        "jwt_signature_invalid",
        browser_state=launcher.state,
    )


def test_payload_changed_after_signing(launcher: Launcher) -> None:
    head, _, sig = launcher.token().split(".")
    body = b64url(json.dumps(launcher.claims(sub="admin")).encode())
    rejects_form(
        launcher,
        {"state": launcher.state, "id_token": f"{head}.{body}.{sig}"},
        "jwt_signature_invalid",
        browser_state=launcher.state,
    )


# --- registration and audience -------------------------------------------------------------------


def test_iss_unknown(launcher: Launcher) -> None:
    rejects(launcher, "platform_unknown", claims=launcher.claims(iss="https://evil.example"))


def test_iss_missing(launcher: Launcher) -> None:
    rejects(launcher, "claim_missing", "iss", claims=launcher.claims(iss=DROP))


def test_aud_not_ours(launcher: Launcher) -> None:
    rejects(launcher, "aud_mismatch", claims=launcher.claims(aud="someone-else"))


def test_aud_missing(launcher: Launcher) -> None:
    rejects(launcher, "claim_missing", "aud", claims=launcher.claims(aud=DROP))


def test_aud_garbage(launcher: Launcher) -> None:
    rejects(launcher, "claim_invalid", "aud", claims=launcher.claims(aud=[1, 2]))


def test_extra_untrusted_aud(launcher: Launcher) -> None:
    cid = launcher.platform.client_id
    claims = launcher.claims(aud=[cid, "another-tool"], azp=cid)
    rejects(launcher, "aud_untrusted", claims=claims)


def test_azp_naming_a_client_not_in_aud(launcher: Launcher, platform: FakePlatform) -> None:
    launcher.registrations.add(platform.registration(client_id="relais-client-2"))
    claims = launcher.claims(aud=[platform.client_id, "another-tool"], azp="relais-client-2")
    rejects(launcher, "aud_mismatch", claims=claims)


def test_wrong_azp(launcher: Launcher) -> None:
    rejects(launcher, "azp_mismatch", claims=launcher.claims(azp="another-tool"))


def test_several_aud_without_azp(launcher: Launcher) -> None:
    claims = launcher.claims(aud=[launcher.platform.client_id, "another-tool"])
    rejects(launcher, "azp_missing", claims=claims)


# --- time ------------------------------------------------------------------------------------


def test_expired(launcher: Launcher) -> None:
    claims = launcher.claims()
    launcher.clock.advance(claims["exp"] - launcher.clock.now() + 11)
    rejects(launcher, "token_expired", claims=claims)


def test_issued_too_long_ago(launcher: Launcher) -> None:
    now = int(launcher.clock.now())
    claims = launcher.claims(iat=now - 3600, exp=now + 60)
    rejects(launcher, "token_expired", claims=claims)


def test_exp_missing(launcher: Launcher) -> None:
    rejects(launcher, "claim_missing", "exp", claims=launcher.claims(exp=DROP))


@pytest.mark.parametrize("value", ["soon", True, None, [1]])
def test_exp_not_a_number(launcher: Launcher, value: Any) -> None:
    code = "claim_missing" if value is None else "claim_invalid"
    rejects(launcher, code, "exp", claims=launcher.claims(exp=value))


def test_iat_in_the_future(launcher: Launcher) -> None:
    claims = launcher.claims(iat=int(launcher.clock.now()) + 30)
    rejects(launcher, "token_issued_in_future", claims=claims)


def test_iat_missing(launcher: Launcher) -> None:
    rejects(launcher, "claim_missing", "iat", claims=launcher.claims(iat=DROP))


def test_nbf_in_the_future(launcher: Launcher) -> None:
    claims = launcher.claims(nbf=int(launcher.clock.now()) + 30)
    rejects(launcher, "token_issued_in_future", claims=claims)


# --- nonce -------------------------------------------------------------------------------------


def test_nonce_replayed(launcher: Launcher) -> None:
    claims = launcher.claims()
    launcher.launch(claims)
    rejects(launcher, "nonce_replayed", claims=claims)


def test_nonce_never_issued(launcher: Launcher) -> None:
    rejects(launcher, "nonce_unknown", claims=launcher.claims(nonce="never-issued"))


def test_nonce_issued_for_another_issuer(launcher: Launcher) -> None:
    launcher.issue_nonce("other-nonce", issuer="https://other.example")
    rejects(launcher, "nonce_unknown", claims=launcher.claims(nonce="other-nonce"))


def test_nonce_missing(launcher: Launcher) -> None:
    claims = launcher.platform.valid_claims(now=launcher.clock.now(), nonce="x")
    del claims["nonce"]
    rejects(launcher, "nonce_missing", claims=claims)


# --- deployment and message ----------------------------------------------------------------------


def test_deployment_missing(launcher: Launcher) -> None:
    rejects(launcher, "deployment_missing", claims=launcher.claims(deployment_id=DROP))


def test_deployment_unknown(launcher: Launcher) -> None:
    rejects(launcher, "deployment_unknown", claims=launcher.claims(deployment_id="99"))


def test_message_type_missing(launcher: Launcher) -> None:
    rejects(
        launcher,
        "message_type_missing",
        claims=launcher.claims(**{"https://purl.imsglobal.org/spec/lti/claim/message_type": DROP}),
    )


def test_message_type_unsupported(launcher: Launcher) -> None:
    claims = launcher.claims(
        **{"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"}
    )
    rejects(launcher, "message_type_unsupported", claims=claims)


@pytest.mark.parametrize("version", [DROP, "1.1", "1.3", 1.3])
def test_version_invalid(launcher: Launcher, version: Any) -> None:
    rejects(launcher, "version_invalid", claims=launcher.claims(version=version))


def test_sub_missing(launcher: Launcher) -> None:
    rejects(launcher, "claim_missing", "sub", claims=launcher.claims(sub=DROP))


def test_sub_too_long(launcher: Launcher) -> None:
    rejects(launcher, "claim_invalid", "sub", claims=launcher.claims(sub="x" * 256))


def test_roles_missing(launcher: Launcher) -> None:
    rejects(launcher, "claim_missing", "roles", claims=launcher.claims(roles=DROP))


def test_roles_not_a_list(launcher: Launcher) -> None:
    rejects(launcher, "claim_invalid", "roles", claims=launcher.claims(roles="Learner"))


def test_resource_link_missing(launcher: Launcher) -> None:
    claims = launcher.claims(resource_link=DROP)
    rejects(launcher, "claim_missing", "resource_link.id", claims=claims)


def test_resource_link_id_missing(launcher: Launcher) -> None:
    claims = launcher.claims(resource_link={"title": "Espace parents"})
    rejects(launcher, "claim_missing", "resource_link.id", claims=claims)


def test_resource_link_id_not_a_string(launcher: Launcher) -> None:
    claims = launcher.claims(resource_link={"id": {"x": 1}})
    rejects(launcher, "claim_invalid", "resource_link.id", claims=claims)


def test_target_link_uri_missing(launcher: Launcher) -> None:
    claims = launcher.claims(target_link_uri=DROP)
    rejects(launcher, "claim_missing", "target_link_uri", claims=claims)


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/lti/launch",
        "http://relais.example.fr/lti/launch",
        "https://relais.example.fr:8443/lti/launch",
        "https://relais.example.fr.evil.example/lti/launch",
        "/lti/launch",
        "javascript:alert(1)",
    ],
)
def test_target_link_uri_not_ours(launcher: Launcher, uri: str) -> None:
    rejects(launcher, "target_link_uri_foreign", claims=launcher.claims(target_link_uri=uri))


def test_deep_linking_settings_missing(launcher: Launcher) -> None:
    claims = launcher.claims(message_type=MESSAGE_DEEP_LINKING, deep_linking_settings=DROP)
    rejects(launcher, "claim_missing", "deep_linking_settings", claims=claims)


def test_deep_linking_return_url_missing(launcher: Launcher) -> None:
    settings = {"accept_types": ["ltiResourceLink"]}
    claims = launcher.claims(message_type=MESSAGE_DEEP_LINKING, deep_linking_settings=settings)
    rejects(launcher, "claim_missing", "deep_linking_settings.deep_link_return_url", claims=claims)


def test_deep_linking_accept_types_missing(launcher: Launcher) -> None:
    settings = {"deep_link_return_url": "https://moodle.example.org/return"}
    claims = launcher.claims(message_type=MESSAGE_DEEP_LINKING, deep_linking_settings=settings)
    rejects(launcher, "claim_missing", "deep_linking_settings.accept_types", claims=claims)


def test_context_id_missing(launcher: Launcher) -> None:
    rejects(
        launcher, "claim_missing", "context.id", claims=launcher.claims(context={"label": "6A"})
    )


def test_custom_with_a_nested_value(launcher: Launcher) -> None:
    claims = launcher.claims(custom={"audience": {"x": 1}})
    rejects(launcher, "claim_invalid", "custom.audience", claims=claims)
