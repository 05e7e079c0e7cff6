"""Signed, timestamped tokens (itsdangerous) without the compression attempt.

``URLSafeTimedSerializer`` zlib-compresses every payload to see whether it comes out shorter:
on a session cookie or an OIDC state that attempt is ~75 µs of its ~90 µs. Relais' payloads
are small, so it is skipped: the token format stays itsdangerous' own (an uncompressed payload
is one it reads as is), JSON goes through ``orjson``.
"""

from __future__ import annotations

from typing import Any

import orjson
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer


class OrJson:
    """The ``json``-like module itsdangerous serializes with: plain JSON only (a tuple comes
    back as a list; anything else non-JSON raises)."""

    @staticmethod
    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

    @staticmethod
    def loads(value: str | bytes) -> Any:
        return orjson.loads(value)


class Signed(URLSafeTimedSerializer):
    default_serializer = OrJson

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))
