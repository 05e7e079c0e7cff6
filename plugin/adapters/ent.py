"""French ENT (SDET): the audience comes from the user's national profile.

ENTs know each user's SDET profile (attribute ``ENTPersonProfils``): ``National_TUT`` a parent
or guardian, ``National_ENS`` a teacher, ``National_ELV`` a pupil, ``National_DIR``,
``National_EVS``... the school's direction and staff. There is no standard LTI claim for it:
each ENT sends it as a custom parameter or a custom claim, under a name listed in
``AdapterSettings.ent_profile_claims``; the profile sets are in ``AdapterSettings`` too.

Rules: admin profile → ``admin``; teacher profile → ``teacher``; parent profile → ``parent``
(children from ``role_scope_mentor`` when the ENT sends it); pupil profile → ``learner``;
several profiles: the one with most rights among them wins, as in the generic adapter. The
profile is authoritative: a pupil opening the parents' link stays a learner. No known profile →
the generic rules on the LIS roles (``plugin.adapters.generic``).

Installable pieces: the ENT's LTI 1.3 connector, with the profile exposed as a custom
parameter (e.g. ``profile=$ENTPersonProfils`` or its ENT's equivalent). Setup: ``ent_setup.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lti.launch_data import LaunchData
from plugin.adapters._base import build_context, custom_value
from plugin.adapters.generic import audience_from_roles
from plugin.context import AdapterSettings, Audience, LaunchContext

_SEPARATORS = re.compile(r"[\s,;|]+")


def sdet_profiles(launch: LaunchData, settings: AdapterSettings) -> tuple[str, ...]:
    """Every SDET profile the launch carries, from the first configured claim that has one.

    A value may be a string (several profiles separated by spaces, ``,``, ``;`` or ``|``) or a
    list of strings; anything else is ignored.
    """
    for name in settings.ent_profile_claims:
        value: object = custom_value(launch.custom, name)
        if value is None:
            value = launch.extra_claims.get(name)
        profiles = tuple(_split(value))
        if profiles:
            return profiles
    return ()


def _split(value: object) -> Iterable[str]:
    items: Iterable[object] = value if isinstance(value, list | tuple) else (value,)
    for item in items:
        if isinstance(item, str):
            yield from (p for p in _SEPARATORS.split(item) if p)


def audience_from_profiles(profiles: Iterable[str], settings: AdapterSettings) -> Audience | None:
    """The audience the SDET profiles give, or ``None`` when none of them is known."""
    found = {p.casefold() for p in profiles}
    for audience, known in (
        (Audience.admin, settings.admin_profiles),
        (Audience.teacher, settings.teacher_profiles),
        (Audience.parent, settings.parent_profiles),
        (Audience.learner, settings.learner_profiles),
    ):
        if found & {k.casefold() for k in known}:
            return audience
    return None


class EntAdapter:
    """French ENT: SDET profile first, LIS roles when there is none."""

    name = "ent"

    def to_context(self, launch: LaunchData, settings: AdapterSettings) -> LaunchContext:
        """Build the ``LaunchContext``; never raises on a validated launch."""
        audience = audience_from_profiles(sdet_profiles(launch, settings), settings)
        if audience is None:
            audience = audience_from_roles(launch, settings)
        return build_context(launch, settings, audience)
