"""Garbage anywhere in a launch gives a coded LtiError, never another exception."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti.errors import LtiError
from tests.lti.conftest import Launcher
from tests.lti.platform import SHORT_CLAIMS

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

CLAIM_NAMES = [
    "iss",
    "aud",
    "azp",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "sub",
    "name",
    "email",
    "locale",
    *SHORT_CLAIMS,
]


def _expect_lti_error_or_success(launcher: Launcher, form: dict[str, Any]) -> None:
    try:
        launcher.validate_form(form, browser_state=launcher.state)
    except LtiError as exc:
        assert exc.code and 400 <= exc.status < 600


@FUZZ
@given(state=st.one_of(st.none(), st.text(), st.integers()), token=st.text(max_size=300))
def test_fuzzed_form_values(launcher: Launcher, state: Any, token: str) -> None:
    form: dict[str, Any] = {"id_token": token}
    if state is not None:
        form["state"] = state
    with pytest.raises(LtiError):
        launcher.validate_form(form, browser_state=launcher.state)


@FUZZ
@given(header=json_values, payload=json_values, signature=st.binary(max_size=300))
def test_fuzzed_token_parts(
    launcher: Launcher, header: Any, payload: Any, signature: bytes
) -> None:
    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part(header)}.{part(payload)}.{base64.urlsafe_b64encode(signature).decode()}"
    with pytest.raises(LtiError):
        launcher.validate_form(
            {"state": launcher.state, "id_token": token.rstrip("=")}, launcher.state
        )


@FUZZ
@given(name=st.sampled_from(CLAIM_NAMES), value=json_values)
def test_fuzzed_claim_in_a_signed_token(launcher: Launcher, name: str, value: Any) -> None:
    # Signed by the real platform key: every check past the signature sees the garbage.
    claims = launcher.claims(**{name: value})
    _expect_lti_error_or_success(
        launcher, {"state": launcher.state, "id_token": launcher.token(claims)}
    )


@FUZZ
@given(
    name=st.sampled_from(
        [
            "resource_link",
            "context",
            "deep_linking_settings",
            "nrps",
            "custom",
            "launch_presentation",
            "tool_platform",
        ]
    ),
    member=st.text(max_size=25),
    value=json_values,
)
def test_fuzzed_member_of_a_nested_claim(
    launcher: Launcher, name: str, member: str, value: Any
) -> None:
    claims = launcher.claims(message_type="LtiDeepLinkingRequest")
    uri = SHORT_CLAIMS[name]
    nested = dict(claims.get(uri) or {})
    nested[member] = value
    claims[uri] = nested
    _expect_lti_error_or_success(
        launcher, {"state": launcher.state, "id_token": launcher.token(claims)}
    )


@FUZZ
@given(header=st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_fuzzed_header_members(launcher: Launcher, header: dict[str, Any]) -> None:
    token = launcher.token(**header)
    _expect_lti_error_or_success(launcher, {"state": launcher.state, "id_token": token})
