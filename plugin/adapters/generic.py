"""Generic LTI 1.3 platform: the audience comes from the standard LIS roles.

Rules, first match wins:

1. institution or system Administrator → ``admin``;
2. Instructor, TeachingAssistant, ContentDeveloper or a class Administrator → ``teacher``;
3. Mentor, or a ``role_scope_mentor`` claim → ``parent`` (its children: ``role_scope_mentor``);
4. a link set up for parents (custom ``audience=parents``) → ``parent``;
5. anything else (Learner, unknown or no roles) → ``learner``.

Why ``learner`` when nothing is recognised: it is the audience with the least access (it
sees public help, never a family's or a class's data), so a platform that sends roles Relais
does not know can never open more than it should; the fix is to map the role, not to guess.
Why the link's audience only counts after the roles: a teacher or an admin opening the
parents' link stays who they are (``LaunchContext.link_audience`` lets the service show them
a preview of the parents' page).

Setup: see ``generic_setup.md`` next to this module.
"""

from __future__ import annotations

from lti.launch_data import LaunchData
from plugin.adapters._base import build_context, link_audience
from plugin.context import AdapterSettings, Audience, LaunchContext
from plugin.roles import role_facts


def audience_from_roles(launch: LaunchData, settings: AdapterSettings) -> Audience:
    """The audience the LIS roles (and the link's audience parameter) give; never raises."""
    facts = role_facts(launch.roles)
    if facts.is_admin:
        return Audience.admin
    if facts.is_teacher:
        return Audience.teacher
    if facts.is_mentor or launch.role_scope_mentor:
        return Audience.parent
    if link_audience(launch, settings) is Audience.parent:
        return Audience.parent
    return Audience.learner


class GenericAdapter:
    """Any LTI 1.3 platform that sends standard LIS roles (Mentor included)."""

    name = "generic"

    def to_context(self, launch: LaunchData, settings: AdapterSettings) -> LaunchContext:
        """Build the ``LaunchContext``; never raises on a validated launch."""
        return build_context(launch, settings, audience_from_roles(launch, settings))
