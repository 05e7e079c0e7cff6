"""The inbox's forms, validated at the edge: a note, a status, a relay to hand over to, a
professional to refer to. Errors are plain French sentences keyed by field name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from service.help.schemas import PlainText
from service.relays.models import NOTE_MAX
from service.relays.services import REFERRALS, RELAY_STATUSES


def _tidy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()
            if not (isinstance(v, str) and not v.strip())}


def _required(text: object) -> dict[str, object]:
    return {"required": text, "null": text}


class NoteSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    body = PlainText(
        multiline=True,
        required=True,
        validate=validate.Length(
            max=NOTE_MAX, error=_l("La note est trop longue : {max} caractères au plus.")),
        error_messages=_required(_l("Écrivez la note.")),
    )

    @pre_load
    def _strip(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _tidy(data)


class StatusSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(
        required=True,
        validate=validate.OneOf(RELAY_STATUSES, error=_l("Choisissez où en est la demande.")),
        error_messages=_required(_l("Choisissez où en est la demande.")),
    )


class HandOverSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    relay_id = fields.Integer(
        required=True,
        strict=False,
        error_messages={**_required(_l("Choisissez à qui confier la demande.")),
                        "invalid": _l("Choisissez à qui confier la demande.")},
    )

    def __init__(self, allowed: Iterable[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["relay_id"].validators.append(validate.OneOf(
            tuple(allowed), error=_l("Choisissez une personne de la liste.")))

    @pre_load
    def _strip(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _tidy(data)


class ReferSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    to = fields.String(
        required=True,
        validate=validate.OneOf(REFERRALS, error=_l("Choisissez vers qui orienter le parent.")),
        error_messages=_required(_l("Choisissez vers qui orienter le parent.")),
    )
