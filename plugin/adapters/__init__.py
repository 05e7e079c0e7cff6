"""The platform adapters, by name: ``generic``, ``moodle``, ``ent``.

A registration names its adapter; the service calls ``get_adapter(name).to_context(...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

from lti.launch_data import LaunchData
from plugin.adapters.ent import EntAdapter
from plugin.adapters.generic import GenericAdapter
from plugin.adapters.moodle import MoodleAdapter
from plugin.context import AdapterSettings, LaunchContext
from plugin.errors import UnknownAdapter

__all__ = ["ADAPTERS", "Adapter", "get_adapter"]


class Adapter(Protocol):
    """Turns a validated launch of one platform family into a ``LaunchContext``."""

    @property
    def name(self) -> str: ...

    def to_context(self, launch: LaunchData, settings: AdapterSettings) -> LaunchContext:
        """Build the context; must not raise on any validated launch."""
        ...


ADAPTERS: Mapping[str, Adapter] = MappingProxyType(
    {a.name: a for a in (GenericAdapter(), MoodleAdapter(), EntAdapter())}
)


def get_adapter(name: str) -> Adapter:
    """The adapter registered as ``name``.

    Raises ``UnknownAdapter`` (code ``adapter_unknown``, field ``adapter``) for any other name.
    """
    try:
        return ADAPTERS[name]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise UnknownAdapter(
            f"no adapter named {name!r} (known: {known})", field="adapter"
        ) from None
