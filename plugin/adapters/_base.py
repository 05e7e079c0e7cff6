"""What every adapter does the same way: read the launch into a ``LaunchContext``.

An adapter only decides the ``Audience`` (and whether the children ids apply); everything
else is copied or normalised here, so all adapters agree on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from lti.launch_data import MESSAGE_DEEP_LINKING, LaunchData
from plugin.context import VIEWS, AdapterSettings, Audience, LaunchContext

_LANGUAGE = re.compile(r"[a-z]{2}")


def custom_value(custom: Mapping[str, str], name: str) -> str | None:
    """A custom parameter by name, ignoring case (platforms differ), stripped; ``None`` if unset."""
    wanted = name.casefold()
    for key, value in custom.items():
        if key.casefold() == wanted:
            return str(value).strip()
    return None


def link_audience(launch: LaunchData, settings: AdapterSettings) -> Audience | None:
    """``Audience.parent`` when the link carries the parents' value of the audience parameter."""
    value = custom_value(launch.custom, settings.audience_param)
    parents = {v.casefold() for v in settings.parent_values}
    if value is not None and value.casefold() in parents:
        return Audience.parent
    return None


def normalise_locale(locale: str) -> str:
    """``"fr-FR"``, ``"fr_FR"``, ``"FR"`` → ``"fr"``; no 2-letter language first → ``""``."""
    language = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].lower()
    return language if _LANGUAGE.fullmatch(language) else ""


def read_view(launch: LaunchData, settings: AdapterSettings) -> str | None:
    """The custom ``view`` parameter when it names a part of Relais; otherwise ``None``."""
    value = custom_value(launch.custom, settings.view_param)
    view = value.casefold() if value else None
    return view if view in VIEWS else None


def build_context(
    launch: LaunchData,
    settings: AdapterSettings,
    audience: Audience,
) -> LaunchContext:
    """Assemble the ``LaunchContext`` for the ``audience`` an adapter decided."""
    children = (
        tuple(dict.fromkeys(c.strip() for c in launch.role_scope_mentor if c.strip()))
        if audience is Audience.parent
        else ()
    )
    context = launch.context
    link = launch.resource_link
    return LaunchContext(
        audience=audience,
        issuer=launch.issuer,
        client_id=launch.client_id,
        deployment_id=launch.deployment_id,
        user_id=launch.sub,
        display_name=(launch.name or launch.given_name).strip(),
        given_name=launch.given_name.strip(),
        children_ids=children,
        class_id=context.id if context else None,
        class_title=(context.title or context.label) if context else "",
        link_id=link.id if link else None,
        link_title=link.title if link else "",
        link_settings=MappingProxyType(dict(launch.custom)),
        view=read_view(launch, settings),
        locale=normalise_locale(launch.locale),
        roles=launch.roles,
        is_deep_linking=launch.message_type == MESSAGE_DEEP_LINKING,
        link_audience=link_audience(launch, settings),
    )
