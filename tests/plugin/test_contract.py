"""One contract for every adapter, run over every launch fixture; then each fixture's own
expectations with the adapter it was written for."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import pytest

from plugin import ADAPTERS, VIEWS, AdapterSettings, Audience, LaunchContext, get_adapter
from tests.plugin.launches import Fixture, load_fixtures

FIXTURES = load_fixtures()
SETTINGS = AdapterSettings()


def _ids(fixture: Fixture) -> str:
    return fixture.name


@pytest.mark.parametrize("adapter_name", sorted(ADAPTERS))
@pytest.mark.parametrize("fixture", FIXTURES, ids=_ids)
def test_every_adapter_honours_the_contract(fixture: Fixture, adapter_name: str) -> None:
    launch = fixture.launch
    context = ADAPTERS[adapter_name].to_context(launch, SETTINGS)

    assert isinstance(context, LaunchContext)
    assert isinstance(context.audience, Audience)
    # The tenant and the user always come from the launch, never from an adapter's guess.
    assert (context.issuer, context.client_id, context.deployment_id) == (
        launch.issuer,
        launch.client_id,
        launch.deployment_id,
    )
    assert context.user_id == launch.sub
    assert context.roles == launch.roles
    assert dict(context.link_settings) == dict(launch.custom)
    assert context.is_deep_linking is (launch.message_type == "LtiDeepLinkingRequest")
    assert set(context.children_ids) <= set(launch.role_scope_mentor)
    if context.audience is not Audience.parent:
        assert context.children_ids == ()
    assert context.view is None or context.view in VIEWS
    assert context.locale == "" or (len(context.locale) == 2 and context.locale.isalpha())
    assert context.link_audience in (None, Audience.parent)


def test_fixtures_cover_every_adapter() -> None:
    assert {f.adapter for f in FIXTURES} == set(ADAPTERS)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


@pytest.mark.parametrize("fixture", FIXTURES, ids=_ids)
def test_fixture_expectations(fixture: Fixture) -> None:
    context = get_adapter(fixture.adapter).to_context(fixture.launch, SETTINGS)

    got = {key: _plain(getattr(context, key)) for key in fixture.expect}
    assert got == fixture.expect
