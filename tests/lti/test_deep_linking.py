"""The deep-linking response: signed, addressed to the platform, items checked."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from lti.claims import CLAIM, DL_CLAIM
from lti.deep_linking import build_response
from lti.errors import LtiError
from lti.keys import ToolKeySet, rotate
from lti.launch_data import MESSAGE_DEEP_LINKING, LaunchData
from tests.lti.conftest import Launcher

ITEM = {"type": "ltiResourceLink", "title": "Espace parents", "url": "https://relais.example.fr/"}


@pytest.fixture(scope="module")
def key_set() -> ToolKeySet:
    return ToolKeySet.from_records(rotate([], now=1.0), 1.0, 3600)


@pytest.fixture
def dl_launch(launcher: Launcher) -> LaunchData:
    return launcher.launch(launcher.claims(message_type=MESSAGE_DEEP_LINKING))


def decode(token: str, key_set: ToolKeySet) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, KeySet.import_key_set(key_set.jwks())).claims
    return claims


def test_response_claims(dl_launch: LaunchData, launcher: Launcher, key_set: ToolKeySet) -> None:
    token = build_response(dl_launch, [ITEM], key_set=key_set, clock=launcher.clock, msg="Ajouté")
    claims = decode(token, key_set)
    now = int(launcher.clock.now())
    assert claims["iss"] == launcher.platform.client_id
    assert claims["aud"] == launcher.platform.issuer
    assert (claims["iat"], claims["exp"]) == (now, now + 300)
    assert claims["nonce"]
    assert claims[CLAIM + "deployment_id"] == "1"
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[DL_CLAIM + "content_items"] == [ITEM]
    assert claims[DL_CLAIM + "data"] == "opaque-platform-data"
    assert claims[DL_CLAIM + "msg"] == "Ajouté"


def test_no_data_claim_when_the_platform_sent_none(launcher: Launcher, key_set: ToolKeySet) -> None:
    settings = {"deep_link_return_url": "https://m.example/r", "accept_types": ["ltiResourceLink"]}
    launch = launcher.launch(
        launcher.claims(message_type=MESSAGE_DEEP_LINKING, deep_linking_settings=settings)
    )
    claims = decode(build_response(launch, [], key_set=key_set, clock=launcher.clock), key_set)
    assert DL_CLAIM + "data" not in claims
    assert claims[DL_CLAIM + "content_items"] == []


def test_type_not_accepted(dl_launch: LaunchData, launcher: Launcher, key_set: ToolKeySet) -> None:
    with pytest.raises(LtiError) as info:
        build_response(dl_launch, [{"type": "file"}], key_set=key_set, clock=launcher.clock)
    assert info.value.code == "deep_linking_type_not_accepted"


def test_several_items_when_one_is_accepted(
    dl_launch: LaunchData, launcher: Launcher, key_set: ToolKeySet
) -> None:
    with pytest.raises(LtiError) as info:
        build_response(dl_launch, [ITEM, ITEM], key_set=key_set, clock=launcher.clock)
    assert info.value.code == "deep_linking_type_not_accepted"


def test_not_a_deep_linking_launch(launcher: Launcher, key_set: ToolKeySet) -> None:
    with pytest.raises(LtiError) as info:
        build_response(launcher.launch(), [ITEM], key_set=key_set, clock=launcher.clock)
    assert info.value.code == "message_type_unsupported"
