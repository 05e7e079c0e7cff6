from __future__ import annotations

import pytest

from plugin.roles import Role, RoleFacts, Scope, parse_role, role_facts

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (LIS + "membership#Instructor", Role(Scope.context, "Instructor")),
        (
            LIS + "membership/Instructor#TeachingAssistant",
            Role(Scope.context, "Instructor", "TeachingAssistant"),
        ),
        (LIS + "institution/person#Administrator", Role(Scope.institution, "Administrator")),
        (LIS + "system/person#Administrator", Role(Scope.system, "Administrator")),
        ("Mentor", Role(Scope.context, "Mentor")),
        ("urn:lti:role:ims/lis/Learner", Role(Scope.context, "Learner")),
        (
            "urn:lti:role:ims/lis/Instructor/TeachingAssistant",
            Role(Scope.context, "Instructor", "TeachingAssistant"),
        ),
        ("urn:lti:instrole:ims/lis/Administrator", Role(Scope.institution, "Administrator")),
        ("urn:lti:sysrole:ims/lis/SysAdmin", Role(Scope.system, "SysAdmin")),
        ("", None),
        ("http://example.org/roles#Boss", None),
        (LIS + "membership", None),
        (LIS + "membership#", None),
        ("Instructor; DROP TABLE", None),
    ],
)
def test_parse_role(raw: str, expected: Role | None) -> None:
    assert parse_role(raw) == expected


@pytest.mark.parametrize(
    ("roles", "facts"),
    [
        ([LIS + "institution/person#Administrator"], RoleFacts(is_admin=True)),
        ([LIS + "system/person#SysAdmin"], RoleFacts(is_admin=True)),
        # A class administrator runs one class: a teacher, not an admin of the platform.
        (["Administrator"], RoleFacts(is_context_admin=True)),
        ([LIS + "membership#Administrator"], RoleFacts(is_context_admin=True)),
        ([LIS + "institution/person#Faculty"], RoleFacts(is_instructor=True)),
        ([LIS + "membership/Instructor#TeachingAssistant"], RoleFacts(is_teaching_assistant=True)),
        (["ContentDeveloper"], RoleFacts(is_content_developer=True)),
        ([LIS + "institution/person#Student"], RoleFacts(is_learner=True)),
        ([LIS + "membership/Mentor#Advisor"], RoleFacts(is_mentor=True)),
        ([LIS + "membership#Member", LIS + "system/person#User"], RoleFacts()),
        (["Wizard", "x:y"], RoleFacts(unrecognised=("Wizard", "x:y"))),
    ],
)
def test_role_facts(roles: list[str], facts: RoleFacts) -> None:
    assert role_facts(roles) == facts


def test_teacher_covers_every_teaching_role() -> None:
    for role in ["Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"]:
        assert role_facts([role]).is_teacher, role
    assert not role_facts(["Learner", "Mentor"]).is_teacher
