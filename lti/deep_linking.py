"""Deep linking: the tool's answer to an ``LtiDeepLinkingRequest``.

A teacher picks what to place in the class; the tool posts back a JWT signed with its current
key, listing the content items. The platform checks it against the tool's JWKS.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from lti.claims import CLAIM_DEPLOYMENT_ID, CLAIM_MESSAGE_TYPE, CLAIM_VERSION, DL_CLAIM
from lti.errors import DeepLinkingTypeNotAccepted, MessageTypeUnsupported
from lti.keys import ToolKeySet, sign_jwt
from lti.launch_data import LaunchData
from lti.registration import Clock

__all__ = ["MESSAGE_DEEP_LINKING_RESPONSE", "RESPONSE_LIFETIME", "build_response"]

MESSAGE_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
RESPONSE_LIFETIME = 300  # seconds: the browser posts it back at once


def build_response(
    launch: LaunchData,
    items: Sequence[Mapping[str, Any]],
    *,
    key_set: ToolKeySet,
    clock: Clock,
    msg: str | None = None,
    errormsg: str | None = None,
) -> str:
    """The signed ``LtiDeepLinkingResponse`` JWT for ``items``, to post to
    ``launch.deep_linking.deep_link_return_url`` as the ``JWT`` form field.

    ``msg`` is shown to the teacher by the platform; ``errormsg`` too, when the tool could not
    give what was asked (usually with no item: the platform then closes its dialog). Raises
    ``MessageTypeUnsupported`` when ``launch`` is not a deep-linking request,
    ``DeepLinkingTypeNotAccepted`` when an item's ``type`` is not in ``accept_types`` or when
    several items are sent and the platform accepts one, and ``keys.NoSigningKey`` when the
    tool has no current key.
    """
    settings = launch.deep_linking
    if settings is None:
        raise MessageTypeUnsupported("this launch is not a deep-linking request")
    if len(items) > 1 and not settings.accept_multiple:
        raise DeepLinkingTypeNotAccepted("the platform accepts a single item")
    for item in items:
        if item.get("type") not in settings.accept_types:
            raise DeepLinkingTypeNotAccepted(
                f"the platform does not accept items of type {str(item.get('type'))[:40]!r}"
            )
    now = int(clock.now())
    claims: dict[str, Any] = {
        # The tool is the issuer here, the platform the audience (LTI Deep Linking 2.0, 4.5).
        "iss": launch.client_id,
        "aud": launch.issuer,
        "iat": now,
        "exp": now + RESPONSE_LIFETIME,
        "nonce": secrets.token_urlsafe(32),
        CLAIM_DEPLOYMENT_ID: launch.deployment_id,
        CLAIM_MESSAGE_TYPE: MESSAGE_DEEP_LINKING_RESPONSE,
        CLAIM_VERSION: launch.version,
        DL_CLAIM + "content_items": [dict(item) for item in items],
    }
    if settings.data is not None:
        claims[DL_CLAIM + "data"] = settings.data
    if msg:
        claims[DL_CLAIM + "msg"] = msg
    if errormsg:
        claims[DL_CLAIM + "errormsg"] = errormsg
    return sign_jwt(claims, key_set.signing_key())
