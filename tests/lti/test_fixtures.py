"""Launch payloads kept as data (tests/lti/fixtures/*.json), signed fresh and validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.lti.conftest import Launcher

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_launch(launcher: Launcher, path: Path) -> None:
    vector: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    now = int(launcher.clock.now())
    client_id = launcher.platform.client_id
    claims = {
        "iss": launcher.platform.issuer,
        "aud": [client_id] if vector.get("aud_list") else client_id,
        "iat": now,
        "exp": now + 60,
        "nonce": launcher.issue_nonce(),
        **vector["claims"],
    }
    if vector.get("aud_list"):
        claims["azp"] = client_id
    data = launcher.launch(claims)
    expect = vector["expect"]
    assert len(data.roles) == expect["roles"]
    assert data.context is not None and data.context.id == expect["context_id"]
    if "resource_link_id" in expect:
        assert (
            data.resource_link is not None and data.resource_link.id == expect["resource_link_id"]
        )
    if "accept_multiple" in expect:
        assert data.deep_linking is not None
        assert data.deep_linking.accept_multiple is expect["accept_multiple"]
    assert dict(data.custom) == expect.get("custom", {})
    assert list(data.role_scope_mentor) == expect.get("role_scope_mentor", [])
    assert sorted(data.extra_claims) == sorted(expect["extra_claims"])


def test_there_are_fixtures() -> None:
    assert len(FIXTURES) >= 3
