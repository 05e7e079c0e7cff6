"""Phone numbers: parsed with ``phonenumbers`` (France by default), stored as E.164, shown back
masked so a glance confirms it is the right number without revealing it to over-shoulder eyes.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "FR"
MAX_TYPED = 30
MASK = "•"

# A relay must never be made to call a number that costs money or reaches a machine.
_REFUSED_TYPES = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})


class PhoneError(ValueError):
    """``code`` is ``invalid`` (not a phone number) or ``refused`` (a paying number)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def to_e164(typed: str, region: str = DEFAULT_REGION) -> str:
    """``06 12 34 56 78``, ``+33 6…``, ``0033 6…`` or any international number → ``+336…``.

    Raises ``PhoneError`` when the text is not a valid number, or is a premium-rate one.
    """
    if len(typed) > MAX_TYPED:
        raise PhoneError("invalid")
    try:
        number = phonenumbers.parse(typed, region)
    except NumberParseException as error:
        raise PhoneError("invalid") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid")
    if phonenumbers.number_type(number) in _REFUSED_TYPES:
        raise PhoneError("refused")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def masked(e164: str, region: str = DEFAULT_REGION) -> str:
    """``+33612345678`` → ``06 •• •• •• 78``; ``+447911123456`` → ``+44 •••• ••••56``.

    The first group (national prefix or country code) and the last two digits stay readable.
    """
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.region_code_for_number(number) == region
    shown = phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )
    first, _, rest = shown.partition(" ")
    if not rest:
        first, rest = "", shown
    digits = sum(c.isdigit() for c in rest)
    out, seen = [], 0
    for char in rest:
        if char.isdigit():
            seen += 1
            out.append(char if seen > digits - 2 else MASK)
        else:
            out.append(char)
    return f"{first} {''.join(out)}".strip()
