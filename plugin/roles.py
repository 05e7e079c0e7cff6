"""LIS roles, read once, as a few facts.

Platforms send roles in several spellings; all mean the same thing:

- LTI 1.3 full URIs: context roles ``http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor``
  and their sub-roles ``.../membership/Instructor#TeachingAssistant``; institution roles
  ``.../institution/person#Administrator``; system roles ``.../system/person#Administrator``;
- short names (``Instructor``, ``Learner``, ``Mentor``...), which LTI 1.3 (section 5.3.7.1)
  defines as *context* roles;
- LTI 1.1 URNs (``urn:lti:role:ims/lis/Instructor``, ``urn:lti:instrole:...``,
  ``urn:lti:sysrole:...``), still sent by some migrated platforms.

Unknown roles are accepted and kept in ``RoleFacts.unrecognised``; they grant nothing.

Being an *admin* of Relais needs an institution or system Administrator role: a context
``Administrator`` (full URI or the short name) administers one class, so it counts as a
teacher, not as an admin of the whole platform.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
_CONTEXT_PREFIX = _LIS + "membership"
_INSTITUTION_PREFIX = _LIS + "institution/person#"
_SYSTEM_PREFIX = _LIS + "system/person#"
_LEGACY_CONTEXT = "urn:lti:role:ims/lis/"
_LEGACY_INSTITUTION = "urn:lti:instrole:ims/lis/"
_LEGACY_SYSTEM = "urn:lti:sysrole:ims/lis/"


class Scope(StrEnum):
    """Where a role applies."""

    context = "context"
    institution = "institution"
    system = "system"


@dataclass(frozen=True, slots=True)
class Role:
    """One parsed role: ``Role(Scope.context, "Instructor", "TeachingAssistant")``."""

    scope: Scope
    name: str
    sub_role: str | None = None


def parse_role(value: str) -> Role | None:
    """Parse one role string in any of the spellings above; ``None`` when it is not one."""
    text = value.strip()
    if text.startswith(_CONTEXT_PREFIX):
        rest = text[len(_CONTEXT_PREFIX) :]
        if rest.startswith("#"):
            return _role(Scope.context, rest[1:])
        if rest.startswith("/") and "#" in rest:
            principal, _, sub = rest[1:].partition("#")
            return _role(Scope.context, principal, sub)
        return None
    for prefix, scope in ((_INSTITUTION_PREFIX, Scope.institution), (_SYSTEM_PREFIX, Scope.system)):
        if text.startswith(prefix):
            return _role(scope, text[len(prefix) :])
    for prefix, scope in (
        (_LEGACY_CONTEXT, Scope.context),
        (_LEGACY_INSTITUTION, Scope.institution),
        (_LEGACY_SYSTEM, Scope.system),
    ):
        if text.startswith(prefix):
            principal, _, sub = text[len(prefix) :].partition("/")
            return _role(scope, principal, sub or None)
    if text and text.isalnum():
        return _role(Scope.context, text)
    return None


def _role(scope: Scope, name: str, sub_role: str | None = None) -> Role | None:
    if not name or not name.isalnum() or (sub_role is not None and not sub_role.isalnum()):
        return None
    return Role(scope, name, sub_role)


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What the roles of one launch say, whatever their spelling.

    ``is_admin``: institution or system Administrator (or system SysAdmin).
    ``is_instructor``: Instructor in the class, or Instructor/Faculty of the institution.
    ``is_mentor``: Mentor (in the class or the institution), including its sub-roles; in a
    school, a mentor is a parent or guardian.
    """

    is_admin: bool = False
    is_context_admin: bool = False
    is_instructor: bool = False
    is_teaching_assistant: bool = False
    is_content_developer: bool = False
    is_learner: bool = False
    is_mentor: bool = False
    unrecognised: tuple[str, ...] = ()

    @property
    def is_teacher(self) -> bool:
        """Anyone who runs the class: instructor, teaching assistant, designer, class admin."""
        return (
            self.is_instructor
            or self.is_teaching_assistant
            or self.is_content_developer
            or self.is_context_admin
        )


_ADMIN = {
    (Scope.institution, "administrator"),
    (Scope.system, "administrator"),
    (Scope.system, "sysadmin"),
}
_INSTRUCTOR = {
    (Scope.context, "instructor"),
    (Scope.institution, "instructor"),
    (Scope.institution, "faculty"),
}
_LEARNER = {
    (Scope.context, "learner"),
    (Scope.institution, "learner"),
    (Scope.institution, "student"),
}
_MENTOR = {(Scope.context, "mentor"), (Scope.institution, "mentor")}
# Names a platform may send that are valid LIS roles but say nothing Relais acts on.
_NEUTRAL = {
    "member",
    "manager",
    "officer",
    "none",
    "other",
    "guest",
    "user",
    "staff",
    "alumni",
    "observer",
    "prospectivestudent",
    "creator",
    "accountadmin",
    "syssupport",
    "testuser",
}


def role_facts(roles: Iterable[str]) -> RoleFacts:
    """Read every role of a launch into ``RoleFacts``. Never raises; unknown roles grant nothing."""
    kinds: set[str] = set()
    unrecognised: list[str] = []
    for value in roles:
        kind = _kind(parse_role(value))
        if kind is None:
            unrecognised.append(value)
        else:
            kinds.add(kind)
    return RoleFacts(
        is_admin="admin" in kinds,
        is_context_admin="context_admin" in kinds,
        is_instructor="instructor" in kinds,
        is_teaching_assistant="teaching_assistant" in kinds,
        is_content_developer="content_developer" in kinds,
        is_learner="learner" in kinds,
        is_mentor="mentor" in kinds,
        unrecognised=tuple(unrecognised),
    )


def _kind(role: Role | None) -> str | None:
    """The fact a role sets, ``"neutral"`` for a valid role that sets none, ``None`` if unknown."""
    if role is None:
        return None
    key = (role.scope, role.name.casefold())
    if key in _ADMIN:
        return "admin"
    if key in _INSTRUCTOR:
        sub = (role.sub_role or "").casefold()
        return "teaching_assistant" if sub == "teachingassistant" else "instructor"
    if key == (Scope.context, "teachingassistant"):
        return "teaching_assistant"
    if key == (Scope.context, "contentdeveloper"):
        return "content_developer"
    if key == (Scope.context, "administrator"):
        return "context_admin"
    if key in _LEARNER:
        return "learner"
    if key in _MENTOR:
        return "mentor"
    if key[1] in _NEUTRAL:
        return "neutral"
    return None
