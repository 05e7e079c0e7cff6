"""Claim shapes: typed results, and ClaimMissing/ClaimInvalid with the claim path."""

from __future__ import annotations

from typing import Any

import pytest

from lti import claims
from lti.errors import LtiError


def error_of(func: Any, *args: Any) -> tuple[str, str | None]:
    with pytest.raises(LtiError) as info:
        func(*args)
    return info.value.code, info.value.field


def test_custom_scalars_become_strings() -> None:
    custom = claims.load_custom({"a": "x", "n": 5, "f": 1.5, "t": True, "no": False, "z": None})
    assert custom == {"a": "x", "n": "5", "f": "1.5", "t": "true", "no": "false", "z": ""}


def test_custom_is_read_only() -> None:
    custom = claims.load_custom({"a": "x"})
    with pytest.raises(TypeError):
        custom["a"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "field"),
    [("x", "custom"), ([1], "custom"), ({"a": [1]}, "custom.a"), ({"a": {}}, "custom.a")],
)
def test_custom_invalid(value: Any, field: str) -> None:
    assert error_of(claims.load_custom, value) == ("claim_invalid", field)


def test_context_with_nulls_and_unknown_members() -> None:
    context = claims.load_context({"id": "c", "label": None, "extra": 1})
    assert context is not None
    assert (context.id, context.label, context.title, context.types) == ("c", "", "", ())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("c", ("claim_invalid", "context")),
        ({}, ("claim_missing", "context.id")),
        ({"id": 3}, ("claim_invalid", "context.id")),
        ({"id": "c", "type": "x"}, ("claim_invalid", "context.type")),
        ({"id": "c", "type": [1]}, ("claim_invalid", "context.type")),
        ({"id": "x" * 5000}, ("claim_invalid", "context.id")),
    ],
)
def test_context_invalid(value: Any, expected: tuple[str, str]) -> None:
    assert error_of(claims.load_context, value) == expected


def test_deep_linking_settings() -> None:
    settings = claims.load_deep_linking_settings(
        {
            "deep_link_return_url": "https://m.example/return",
            "accept_types": ["ltiResourceLink", "link"],
            "accept_multiple": True,
        }
    )
    assert settings.accept_types == ("ltiResourceLink", "link")
    assert settings.accept_multiple and not settings.auto_create
    assert settings.data is None


def test_deep_link_return_url_must_be_http() -> None:
    value = {"deep_link_return_url": "javascript:alert(1)", "accept_types": ["link"]}
    assert error_of(claims.load_deep_linking_settings, value) == (
        "claim_invalid",
        "deep_linking_settings.deep_link_return_url",
    )


def test_nrps_claim() -> None:
    service = claims.load_names_role_service(
        {"context_memberships_url": "https://m.example/members"}
    )
    assert service is not None and service.service_versions == ()
    assert error_of(claims.load_names_role_service, {}) == (
        "claim_missing",
        "namesroleservice.context_memberships_url",
    )


def test_string_list() -> None:
    assert claims.string_list(["Learner", "Mentor"], "roles") == ("Learner", "Mentor")
    assert error_of(claims.string_list, ["a", None], "roles") == ("claim_invalid", "roles")


def test_flat_object_members() -> None:
    value = {"document_target": "window", "locale": None}
    assert claims.string_map(value, "lp", ("document_target", "return_url", "locale")) == (
        "window",
        "",
        "",
    )
    assert error_of(claims.string_map, {"locale": 3}, "lp", ("locale",)) == (
        "claim_invalid",
        "lp.locale",
    )
