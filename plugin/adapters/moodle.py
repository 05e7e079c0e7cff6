"""Moodle 4.x: roles say teacher, learner or admin; the link says parent.

Moodle sends only Instructor, Learner and (for site admins) institution and system
Administrator, with no Mentor role and no ``role_scope_mentor``. So a parent is recognised by
the activity they open: the admin or teacher adds the custom parameter ``audience=parents``
(name and values set in ``AdapterSettings``) to the "Espace parents" activity.

Rules, first match wins:

1. institution or system Administrator (Moodle adds Instructor too) → ``admin``;
2. Instructor (or any other teaching role) → ``teacher``, even on the parents' link, where
   ``LaunchContext.link_audience`` lets the service show a preview;
3. a link with ``audience=parents`` → ``parent`` (no children ids: Moodle sends none);
4. anything else (Learner, unknown, none) → ``learner``, the least access.

Installable pieces: an External tool registered by dynamic registration, then one activity
per use (the parents' space carrying ``audience=parents``, optionally ``view=help|wizard|events``).
Setup: see ``moodle_setup.md``.
"""

from __future__ import annotations

from lti.launch_data import LaunchData
from plugin.adapters._base import build_context, link_audience
from plugin.context import AdapterSettings, Audience, LaunchContext
from plugin.roles import role_facts


class MoodleAdapter:
    """Moodle 4.x, parents recognised by the link's custom ``audience`` parameter."""

    name = "moodle"

    def to_context(self, launch: LaunchData, settings: AdapterSettings) -> LaunchContext:
        """Build the ``LaunchContext``; never raises on a validated launch."""
        facts = role_facts(launch.roles)
        if facts.is_admin:
            audience = Audience.admin
        elif facts.is_teacher:
            audience = Audience.teacher
        elif link_audience(launch, settings) is Audience.parent:
            audience = Audience.parent
        else:
            audience = Audience.learner
        return build_context(launch, settings, audience)
