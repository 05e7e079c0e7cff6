"""What the service knows about a launch: who, for which children, in which class.

``LaunchContext`` is the only launch object the service reads; the adapters in
``plugin.adapters`` build it from a validated ``lti.launch_data.LaunchData``.
``AdapterSettings`` holds the per-registration options an admin can change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

VIEWS: frozenset[str] = frozenset({"help", "wizard", "events"})
"""Values of the custom ``view`` parameter that open a given part of Relais."""


class Audience(StrEnum):
    """Who Relais is talking to; decides every page and every permission."""

    parent = "parent"
    teacher = "teacher"
    admin = "admin"
    learner = "learner"


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """One launch, as the service sees it.

    ``issuer`` + ``client_id`` name the platform registration (the tenant) every row belongs to.
    ``children_ids`` are the LTI ``sub`` of the parent's children, and are only ever filled for
    ``Audience.parent``. ``link_audience`` is who the link was set up for (``parent`` when it
    carries ``audience=parents``), so a teacher opening the parents' link can be shown a
    preview while staying a teacher. ``locale`` is a 2-letter code or ``""``.
    """

    audience: Audience
    issuer: str
    client_id: str
    deployment_id: str
    user_id: str | None
    display_name: str
    given_name: str
    children_ids: tuple[str, ...]
    class_id: str | None
    class_title: str
    link_id: str | None
    link_title: str
    link_settings: Mapping[str, str]
    view: str | None
    locale: str
    roles: tuple[str, ...]
    is_deep_linking: bool
    link_audience: Audience | None = None


@dataclass(frozen=True, slots=True)
class AdapterSettings:
    """Per-registration options of the adapters. Every default works without configuration.

    Profile values are SDET codes (``ENTPersonProfils``), compared case-insensitively.
    ``admin_profiles`` defaults to direction and vie scolaire only: a Relais admin sees the
    routing and retention of parents' requests, so the set is kept to the staff who deal with
    families; add ``National_ETA`` and others per school if needed. Profiles in none of the
    sets make the ENT adapter fall back to the LIS roles.
    ``ent_profile_claims`` are looked up, in order, among the custom parameters (names
    compared case-insensitively) and then among the extra claims of the id_token (exact name):
    no standard claim exists, each ENT names it its own way.
    """

    audience_param: str = "audience"
    parent_values: frozenset[str] = frozenset({"parents", "parent"})
    view_param: str = "view"
    ent_profile_claims: tuple[str, ...] = (
        "profile",
        "profil",
        "sdet_profile",
        "ENTPersonProfils",
        "urn:relais:claim:sdet_profile",
    )
    admin_profiles: frozenset[str] = frozenset({"National_DIR", "National_EVS"})
    teacher_profiles: frozenset[str] = frozenset({"National_ENS", "National_DOC"})
    parent_profiles: frozenset[str] = frozenset({"National_TUT"})
    learner_profiles: frozenset[str] = frozenset({"National_ELV"})
