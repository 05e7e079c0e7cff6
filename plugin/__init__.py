"""Per host platform family, turn a validated LTI launch into the service's ``LaunchContext``.

``plugin`` imports only ``lti`` (never ``service`` nor Flask). Usage::

    context = get_adapter(registration.adapter).to_context(launch_data, settings)
"""

from __future__ import annotations

from plugin.adapters import ADAPTERS, Adapter, get_adapter
from plugin.context import VIEWS, AdapterSettings, Audience, LaunchContext
from plugin.errors import PluginError, UnknownAdapter
from plugin.roles import RoleFacts, role_facts

__all__ = [
    "ADAPTERS",
    "VIEWS",
    "Adapter",
    "AdapterSettings",
    "Audience",
    "LaunchContext",
    "PluginError",
    "RoleFacts",
    "UnknownAdapter",
    "get_adapter",
    "role_facts",
]
