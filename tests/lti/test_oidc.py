"""Third-party initiated login."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti.errors import LtiError
from lti.oidc import AuthRedirect, begin_login, parse_login
from tests.lti.conftest import TOOL
from tests.lti.fakes import InMemoryRegistrationStore
from tests.lti.platform import TOOL_LAUNCH_URL, FakePlatform


def login_params(platform: FakePlatform, **overrides: Any) -> dict[str, Any]:
    params = {
        "iss": platform.issuer,
        "login_hint": "user-42",
        "target_link_uri": TOOL_LAUNCH_URL,
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def login(store: InMemoryRegistrationStore, params: dict[str, Any]) -> AuthRedirect:
    return begin_login(params, registrations=store, tool=TOOL)


def rejects(
    store: InMemoryRegistrationStore, params: dict[str, Any], code: str, field: str | None = None
) -> None:
    with pytest.raises(LtiError) as info:
        login(store, params)
    assert (info.value.code, info.value.field) == (code, field), info.value.description


@pytest.fixture
def store(platform: FakePlatform) -> InMemoryRegistrationStore:
    return InMemoryRegistrationStore(platform.registration())


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_redirects_to_the_platform_with_every_parameter(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    redirect = login(store, login_params(platform))
    assert redirect.url.startswith(platform.auth_login_url + "?")
    assert query_of(redirect.url) == {
        "scope": ["openid"],
        "response_type": ["id_token"],
        "response_mode": ["form_post"],
        "prompt": ["none"],
        "client_id": [platform.client_id],
        "redirect_uri": [TOOL_LAUNCH_URL],
        "login_hint": ["user-42"],
        "state": [redirect.state],
        "nonce": [redirect.nonce],
    }
    assert redirect.registration == platform.registration()
    assert redirect.storage_target is None
    assert len(redirect.state) >= 43 and len(redirect.nonce) >= 43
    assert redirect.state != redirect.nonce


def test_state_and_nonce_are_fresh_each_time(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    first, second = login(store, login_params(platform)), login(store, login_params(platform))
    assert first.state != second.state and first.nonce != second.nonce


def test_redirect_uri_is_the_registered_launch_url_whatever_target_link_uri_says(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    params = login_params(platform, target_link_uri="https://relais.example.fr/parents?x=1")
    redirect = login(store, params)
    assert query_of(redirect.url)["redirect_uri"] == [TOOL_LAUNCH_URL]
    assert redirect.target_link_uri == "https://relais.example.fr/parents?x=1"


def test_lti_message_hint_is_echoed(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    hint = '{"cmid":12,"launchid":"ltilaunch1_1"}'
    redirect = login(store, login_params(platform, lti_message_hint=hint))
    assert query_of(redirect.url)["lti_message_hint"] == [hint]


def test_storage_target_is_kept(store: InMemoryRegistrationStore, platform: FakePlatform) -> None:
    redirect = login(store, login_params(platform, lti_storage_target="_parent"))
    assert redirect.storage_target == "_parent"


def test_existing_query_of_the_auth_url_is_kept(platform: FakePlatform) -> None:
    store = InMemoryRegistrationStore(
        platform.registration(auth_login_url="https://ent.example.fr/auth?tenant=93")
    )
    redirect = login(store, login_params(platform))
    assert query_of(redirect.url)["tenant"] == ["93"]
    assert query_of(redirect.url)["scope"] == ["openid"]


@pytest.mark.parametrize("name", ["iss", "login_hint", "target_link_uri"])
def test_required_param_missing(
    store: InMemoryRegistrationStore, platform: FakePlatform, name: str
) -> None:
    params = login_params(platform)
    del params[name]
    rejects(store, params, "login_param_missing", name)


@pytest.mark.parametrize("name", ["iss", "login_hint", "target_link_uri"])
def test_required_param_empty(
    store: InMemoryRegistrationStore, platform: FakePlatform, name: str
) -> None:
    rejects(store, login_params(platform, **{name: ""}), "login_param_missing", name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("iss", ["a", "b"]),
        ("iss", "x" * 5000),
        ("login_hint", "user\n42"),
        ("client_id", 42),
        ("lti_message_hint", "\x00"),
        ("lti_deployment_id", "x" * 3000),
        ("target_link_uri", {"a": 1}),
    ],
)
def test_param_invalid(
    store: InMemoryRegistrationStore, platform: FakePlatform, name: str, value: Any
) -> None:
    rejects(store, login_params(platform, **{name: value}), "login_param_invalid", name)


def test_unknown_issuer(store: InMemoryRegistrationStore, platform: FakePlatform) -> None:
    rejects(store, login_params(platform, iss="https://unknown.example"), "platform_unknown")


def test_unknown_client(store: InMemoryRegistrationStore, platform: FakePlatform) -> None:
    rejects(store, login_params(platform, client_id="nope"), "platform_unknown")


def test_without_client_id_the_single_registration_is_used(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    redirect = login(store, login_params(platform, client_id=None))
    assert query_of(redirect.url)["client_id"] == [platform.client_id]


def test_several_clients_per_issuer(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    store.add(platform.registration(client_id="relais-client-2"))
    redirect = login(store, login_params(platform, client_id="relais-client-2"))
    assert query_of(redirect.url)["client_id"] == ["relais-client-2"]
    assert redirect.registration.client_id == "relais-client-2"
    rejects(store, login_params(platform, client_id=None), "client_ambiguous")


def test_deployment_unknown(store: InMemoryRegistrationStore, platform: FakePlatform) -> None:
    rejects(store, login_params(platform, lti_deployment_id="99"), "deployment_unknown")


def test_deployment_is_optional(store: InMemoryRegistrationStore, platform: FakePlatform) -> None:
    assert login(store, login_params(platform, lti_deployment_id=None)).state


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/lti/launch",
        "http://relais.example.fr/lti/launch",
        "https://relais.example.fr:444/",
        "relais.example.fr/lti/launch",
        "https://relais.example.fr@evil.example/",
    ],
)
def test_foreign_target_link_uri(
    store: InMemoryRegistrationStore, platform: FakePlatform, uri: str
) -> None:
    rejects(store, login_params(platform, target_link_uri=uri), "target_link_uri_foreign")


def test_explicit_default_port_is_ours(
    store: InMemoryRegistrationStore, platform: FakePlatform
) -> None:
    params = login_params(platform, target_link_uri="https://RELAIS.example.fr:443/lti/launch")
    assert login(store, params).state


def test_parse_login_reads_get_style_params() -> None:
    request = parse_login(
        {"iss": "https://m.example", "login_hint": "7", "target_link_uri": TOOL_LAUNCH_URL}
    )
    assert (request.iss, request.login_hint, request.client_id) == ("https://m.example", "7", None)


@settings(max_examples=200, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "iss",
                "login_hint",
                "target_link_uri",
                "client_id",
                "lti_deployment_id",
                "lti_message_hint",
                "lti_storage_target",
                "other",
            ]
        ),
        st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(), max_size=2)),
    )
)
def test_fuzzed_login_params_give_only_coded_errors(params: dict[str, Any]) -> None:
    store = InMemoryRegistrationStore(FakePlatform().registration())
    try:
        login(store, params)
    except LtiError as exc:
        assert exc.code
