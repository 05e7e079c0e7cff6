"""A realistic launch id_token (~3.9 KB, like a Moodle 4.x resource-link launch of a parent)
and a small RS256 signer. Standard library and ``cryptography`` only, so that the load
generator's processes stay light."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(claims: Mapping[str, Any], key: rsa.RSAPrivateKey, kid: str) -> str:
    """A compact RS256 JWS, JSON without spaces as platforms send it."""
    header = {"typ": "JWT", "alg": "RS256", "kid": kid}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = key.sign(signing_input.encode("ascii"), _PKCS1, _SHA256)
    return signing_input + "." + b64url(signature)


def launch_claims(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    nonce: str,
    now: int,
    target_link_uri: str,
    lifetime: int = 60,
) -> dict[str, Any]:
    """A parent (Mentor of one pupil) opening the parents' link of a class, with everything a
    Moodle-like platform adds: context, platform, presentation, custom, LIS, AGS, NRPS."""
    return {
        "nonce": nonce,
        "iat": now,
        "exp": now + lifetime,
        "iss": issuer,
        "aud": client_id,
        "sub": "parent-1",
        "given_name": "Awa",
        "family_name": "Diallo",
        "name": "Awa Diallo",
        "email": "awa.diallo@example.org",
        "picture": f"{issuer}/theme/image.php/boost/core/1700000000/u/f1",
        "locale": "fr",
        CLAIM + "deployment_id": deployment_id,
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0",
        CLAIM + "target_link_uri": target_link_uri,
        CLAIM + "roles": [LIS + "membership#Mentor"],
        CLAIM + "role_scope_mentor": ["pupil-1"],
        CLAIM + "resource_link": {
            "id": "link-1",
            "title": "Espace parents",
            "description": "Aide aux devoirs, rendez-vous et messages de la classe de 6e A.",
        },
        CLAIM + "context": {
            "id": "course-6a",
            "label": "6A",
            "title": "Sixième A — Collège Jean Moulin",
            "type": [LIS + "course#CourseOffering"],
        },
        CLAIM + "tool_platform": {
            "guid": "moodle.example.org",
            "name": "Collège Jean Moulin",
            "url": issuer,
            "product_family_code": "moodle",
            "version": "2024100700",
        },
        CLAIM + "launch_presentation": {
            "document_target": "iframe",
            "return_url": f"{issuer}/mod/lti/return.php?course=2&launch_container=3&instanceid=7",
            "locale": "fr",
            "width": 1024,
            "height": 768,
        },
        CLAIM + "lis": {
            "person_sourcedid": "FR-0750001A-parent-1",
            "course_section_sourcedid": "FR-0750001A-2025-6A",
            "course_offering_sourcedid": "FR-0750001A-2025-6A",
        },
        CLAIM + "custom": {
            "audience": "parents",
            "school_uai": "0750001A",
            "class_level": "6e",
            "user_username": "awa.diallo",
            "course_start": "2025-09-01",
        },
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            ],
            "lineitems": f"{issuer}/mod/lti/services.php/2/lineitems?type_id=4",
            "lineitem": f"{issuer}/mod/lti/services.php/2/lineitems/11/lineitem?type_id=4",
        },
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": f"{issuer}/mod/lti/services.php/CourseSection/2/"
            "bindings/4/memberships",
            "service_versions": ["1.0", "2.0"],
        },
    }
