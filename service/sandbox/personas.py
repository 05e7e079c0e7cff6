"""Who the sandbox can launch as, and the claims each one gets."""

from __future__ import annotations

from typing import Any

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

PERSONAS: dict[str, dict[str, Any]] = {
    "parent": {
        "label": "Parent",
        "sub": "sandbox-parent-1",
        "name": "Amina Benali",
        "given_name": "Amina",
        "roles": [LIS + "membership#Mentor"],
        "mentor_of": ["sandbox-pupil-1"],
    },
    "teacher": {
        "label": "Enseignant",
        "sub": "sandbox-teacher-1",
        "name": "Claire Martin",
        "given_name": "Claire",
        "roles": [LIS + "membership#Instructor"],
    },
    "admin": {
        "label": "Administrateur",
        "sub": "sandbox-admin-1",
        "name": "Karim Haddad",
        "given_name": "Karim",
        "roles": [LIS + "membership#Instructor", LIS + "institution/person#Administrator"],
    },
    "learner": {
        "label": "Élève",
        "sub": "sandbox-pupil-1",
        "name": "Yanis Benali",
        "given_name": "Yanis",
        "roles": [LIS + "membership#Learner"],
    },
}


def launch_claims(
    persona: str, *, issuer: str, client_id: str, deployment_id: str, nonce: str,
    target_link_uri: str, now: int,
) -> dict[str, Any]:
    who = PERSONAS[persona]
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "sub": who["sub"],
        "iat": now,
        "exp": now + 60,  # as short-lived as Moodle's
        "nonce": nonce,
        "name": who["name"],
        "given_name": who["given_name"],
        CLAIM + "deployment_id": deployment_id,
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0",
        CLAIM + "target_link_uri": target_link_uri,
        CLAIM + "roles": who["roles"],
        CLAIM + "resource_link": {"id": "sandbox-link-1", "title": "Espace parents"},
        CLAIM + "context": {
            "id": "sandbox-class-5b",
            "label": "5B",
            "title": "5e B",
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        CLAIM + "tool_platform": {"guid": "sandbox", "name": "Collège Jean Moulin (bac à sable)"},
        CLAIM + "launch_presentation": {"document_target": "iframe", "locale": "fr-FR"},
        CLAIM + "custom": {},
    }
    if who.get("mentor_of"):
        claims[CLAIM + "role_scope_mentor"] = who["mentor_of"]
    return claims
