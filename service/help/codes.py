"""Reference codes a parent can read out on the phone: ``K7QM-3XDA``.

Eight characters from 30 symbols (about 39 bits): the digits 2-9 and the capitals without
I, L, O and U, which are easily taken for 1, 0 or V. The code is a lookup key, stored as is;
guessing is made hard by its length and by the rate limit on lookups, not by secrecy of storage.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-_.·•–—]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The stored form of a code typed by a person (any case, spaces, dashes), or ``None`` when
    it cannot be one — the caller then answers exactly as for an unknown code."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    code = _SEPARATORS.sub("", typed).upper()
    return code if _VALID.match(code) else None


def display(code: str) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH``: two halves are easier to read out and to copy."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"
