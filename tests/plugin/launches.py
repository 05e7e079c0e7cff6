"""Load the launch fixtures of ``fixtures/*.json`` into ``LaunchData``.

Each fixture is ``{"adapter": name, "launch": {LaunchData fields}, "expect": {LaunchContext
fields}}``; JSON lists become tuples and mappings become read-only, as in a real launch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lti.launch_data import (
    Context,
    DeepLinkingSettings,
    LaunchData,
    NamesRoleService,
    ResourceLink,
)

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Fixture:
    name: str
    adapter: str
    launch: LaunchData
    expect: dict[str, Any]


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def launch_from_json(data: dict[str, Any]) -> LaunchData:
    """Build a ``LaunchData`` from its JSON form (nested claims as objects)."""
    fields = _tuples(data)
    nested = {
        "resource_link": ResourceLink,
        "context": Context,
        "deep_linking": DeepLinkingSettings,
        "names_role_service": NamesRoleService,
    }
    for key, cls in nested.items():
        if fields.get(key) is not None:
            fields[key] = cls(**_tuples(fields[key]))
    for key in ("custom", "extra_claims"):
        if key in fields:
            fields[key] = MappingProxyType(dict(fields[key]))
    return LaunchData(**fields)


def load_fixtures() -> list[Fixture]:
    """Every fixture, sorted by file name."""
    fixtures = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        fixtures.append(
            Fixture(path.stem, data["adapter"], launch_from_json(data["launch"]), data["expect"])
        )
    return fixtures
