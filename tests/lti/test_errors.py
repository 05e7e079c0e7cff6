"""Error codes are stable, unique and complete."""

from __future__ import annotations

import lti.errors as errors
from lti.errors import ERROR_CODES, LtiError


def _subclasses(cls: type[LtiError]) -> list[type[LtiError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_error_class_has_its_own_code_listed() -> None:
    classes = _subclasses(LtiError)
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(ERROR_CODES)
    assert all(cls.__module__ == "lti.errors" for cls in classes)


def test_statuses() -> None:
    for cls in _subclasses(LtiError):
        if cls.code in {"platform_keys_unavailable", "platform_unreachable",
                        # what a platform answers while Relais registers with it
                        "registration_configuration_unavailable",
                        "registration_configuration_invalid", "registration_platform_error",
                        "registration_response_invalid"}:
            assert cls.status == 502
        else:
            assert 400 <= cls.status < 500, cls.code


def test_the_codes_the_service_relies_on() -> None:
    expected = {
        "state_missing", "state_mismatch", "jwt_malformed", "jwt_alg_not_allowed",
        "jwt_kid_missing", "jwt_kid_unknown", "jwt_signature_invalid", "platform_unknown",
        "client_ambiguous", "aud_mismatch", "aud_untrusted", "azp_mismatch", "azp_missing",
        "token_expired", "token_issued_in_future", "nonce_missing", "nonce_replayed",
        "nonce_unknown", "deployment_missing", "deployment_unknown", "version_invalid",
        "message_type_missing", "message_type_unsupported", "claim_missing", "claim_invalid",
        "target_link_uri_foreign", "login_param_missing", "login_param_invalid",
        "platform_keys_unavailable", "deep_linking_type_not_accepted",
    }  # fmt: skip
    assert expected <= set(ERROR_CODES)


def test_field_and_repr() -> None:
    error = errors.ClaimMissing("roles is missing", field="roles")
    assert (error.code, error.field, error.description) == (
        "claim_missing",
        "roles",
        "roles is missing",
    )
    assert repr(error) == "ClaimMissing(code='claim_missing', field='roles')"
