"""A fake LTI 1.3 platform for tests: its own RSA key, kid and JWKS, and fresh id_tokens.

Tokens are signed at test time with the current clock, never frozen: expiry checks stay on.
Reused by the service tests (``from tests.lti.platform import FakePlatform``).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lti.claims import CLAIM, CLAIM_DEEP_LINKING_SETTINGS, CLAIM_NRPS
from lti.keys import public_jwk
from lti.launch_data import MESSAGE_DEEP_LINKING, MESSAGE_RESOURCE_LINK
from lti.registration import PlatformRegistration

TOOL_BASE_URL = "https://relais.example.fr"
TOOL_LAUNCH_URL = TOOL_BASE_URL + "/lti/launch"


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


#: Pass as a claim value to ``valid_claims`` to remove that claim.
DROP: Any = _Drop()

# Short names for the LTI claims, so tests can write valid_claims(roles=[...]).
SHORT_CLAIMS = {
    "message_type": CLAIM + "message_type",
    "version": CLAIM + "version",
    "deployment_id": CLAIM + "deployment_id",
    "target_link_uri": CLAIM + "target_link_uri",
    "resource_link": CLAIM + "resource_link",
    "context": CLAIM + "context",
    "roles": CLAIM + "roles",
    "role_scope_mentor": CLAIM + "role_scope_mentor",
    "custom": CLAIM + "custom",
    "launch_presentation": CLAIM + "launch_presentation",
    "tool_platform": CLAIM + "tool_platform",
    "deep_linking_settings": CLAIM_DEEP_LINKING_SETTINGS,
    "nrps": CLAIM_NRPS,
}


@lru_cache(maxsize=8)
def rsa_key(name: str = "platform") -> rsa.RSAPrivateKey:
    """A 2048-bit key per ``name``, generated once per test session (generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_jws(header: Mapping[str, Any], claims: Mapping[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A compact JWS of ``claims`` signed RS256 with ``key`` (whatever ``header`` says)."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


class FakePlatform:
    """A platform (Moodle-like by default) that signs launches for Relais."""

    def __init__(
        self,
        *,
        issuer: str = "https://moodle.example.org",
        client_id: str = "relais-client-1",
        deployment_id: str = "1",
        kid: str = "platform-key-1",
        key_name: str = "platform",
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.kid = kid
        self.key = rsa_key(key_name)
        self.jwks_url = issuer + "/mod/lti/certs.php"
        self.auth_login_url = issuer + "/mod/lti/auth.php"
        self.auth_token_url = issuer + "/mod/lti/token.php"

    @property
    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [public_jwk(self.kid, self.key.public_key())]}

    def registration(self, **overrides: Any) -> PlatformRegistration:
        fields: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.auth_login_url,
            "auth_token_url": self.auth_token_url,
            "jwks_url": self.jwks_url,
            "deployment_ids": frozenset({self.deployment_id}),
        }
        fields.update(overrides)
        return PlatformRegistration(**fields)

    def valid_claims(
        self,
        *,
        nonce: str | None = None,
        now: float | None = None,
        message_type: str = MESSAGE_RESOURCE_LINK,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The claims of a valid launch; ``overrides`` replace claims by name (short names of
        ``SHORT_CLAIMS`` or full URIs via ``**{uri: value}``); ``DROP`` removes one."""
        now = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-42",
            "exp": int(now) + 60,
            "iat": int(now),
            "nonce": nonce or secrets.token_urlsafe(16),
            "name": "Awa Diallo",
            "given_name": "Awa",
            "family_name": "Diallo",
            "email": "awa.diallo@example.org",
            "locale": "fr",
            SHORT_CLAIMS["message_type"]: message_type,
            SHORT_CLAIMS["version"]: "1.3.0",
            SHORT_CLAIMS["deployment_id"]: self.deployment_id,
            SHORT_CLAIMS["target_link_uri"]: TOOL_LAUNCH_URL,
            SHORT_CLAIMS["roles"]: [
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
            ],
            SHORT_CLAIMS["context"]: {
                "id": "course-6a",
                "label": "6A",
                "title": "Sixième A",
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            SHORT_CLAIMS["tool_platform"]: {
                "guid": "moodle.example.org",
                "name": "Collège Jean Moulin",
                "product_family_code": "moodle",
            },
            SHORT_CLAIMS["launch_presentation"]: {
                "document_target": "iframe",
                "return_url": self.issuer + "/course/view.php?id=2",
                "locale": "fr",
            },
            SHORT_CLAIMS["custom"]: {"audience": "parents"},
        }
        if message_type == MESSAGE_DEEP_LINKING:
            claims[SHORT_CLAIMS["deep_linking_settings"]] = {
                "deep_link_return_url": self.issuer + "/mod/lti/contentitem_return.php",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": "opaque-platform-data",
            }
        else:
            claims[SHORT_CLAIMS["resource_link"]] = {
                "id": "link-1",
                "title": "Espace parents",
            }
        for name, value in overrides.items():
            uri = SHORT_CLAIMS.get(name, name)
            if value is DROP:
                claims.pop(uri, None)
            else:
                claims[uri] = value
        return claims

    def sign(self, claims: Mapping[str, Any], **header_overrides: Any) -> str:
        """A fresh id_token of ``claims``, RS256 with this platform's key and kid.

        ``header_overrides`` replace header members (``kid=DROP`` removes the kid); the
        signature is always RS256 with the platform key, whatever ``alg`` then says.
        """
        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        for name, value in header_overrides.items():
            if value is DROP:
                header.pop(name, None)
            else:
                header[name] = value
        return encode_jws(header, claims, self.key)
