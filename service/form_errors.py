"""marshmallow's error messages in the shape the forms' error summary reads."""

from __future__ import annotations

from typing import Any


def field_errors(messages: Any, *, whole_form_field: str) -> dict[str, list[str]]:
    """``{field: [text]}`` from marshmallow's messages. A list field reports per index: its
    messages are gathered under the field. A message about the whole form (not a dict) goes
    under ``whole_form_field``."""
    if not isinstance(messages, dict):
        return {whole_form_field: [str(messages)]}
    out: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, dict):
            out[name] = [str(m) for inner in value.values() for m in inner]
        else:
            out[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return out
