"""Validating an event, from the admin form, the command line or a future teacher page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from service.events.dates import parse_local

# kind -> its name for parents. Event kits (printable, per kind) will hang off these keys.
KINDS: dict[str, Any] = {
    "cafe_parents": _l("Café des parents"),
    "stand_numerique": _l("Stand numérique à la fête de l'école"),
    "atelier": _l("Atelier"),
    "reunion": _l("Réunion parents-professeurs"),
}

TITLE_MAX = 120
PLACE_MAX = 200
DESCRIPTION_MAX = 2000

_REQUIRED = {"required": _l("Ce champ est obligatoire."), "null": _l("Ce champ est obligatoire.")}


class LocalDateTime(fields.Field):
    """A date and time typed in Paris time (or ISO with an offset); loads an aware UTC datetime."""

    default_error_messages = {
        "invalid": _l("Donnez une date et une heure, par exemple 12/12/2025 10:00."),
        **_REQUIRED,
    }

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise self.make_error("invalid")
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.make_error("required")
        try:
            return parse_local(value)
        except ValueError as error:
            raise self.make_error("invalid") from error


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # the form also carries csrf_token and buttons

    title = fields.String(
        required=True, error_messages=_REQUIRED,
        validate=validate.Length(3, TITLE_MAX, error=_l("Entre 3 et 120 caractères.")),
    )
    kind = fields.String(
        required=True, error_messages=_REQUIRED,
        validate=validate.OneOf(list(KINDS), error=_l("Choisissez un type de rendez-vous.")),
    )
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    place = fields.String(
        load_default="",
        validate=validate.Length(max=PLACE_MAX, error=_l("200 caractères au plus.")),
    )
    languages = fields.List(fields.String(), load_default=list)
    description = fields.String(
        load_default="",
        validate=validate.Length(max=DESCRIPTION_MAX, error=_l("2000 caractères au plus.")),
    )
    school_id = fields.Integer(load_default=None, allow_none=True,
                               error_messages={"invalid": _l("Choisissez un établissement.")})
    class_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(1, 255))

    @pre_load
    def _clean(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        # "fr,ar" from the command line; a list from a form's checkboxes.
        if isinstance(clean.get("languages"), str):
            clean["languages"] = [c for c in clean["languages"].replace(" ", ",").split(",") if c]
        for key in ("school_id", "class_id"):
            if clean.get(key) == "":
                clean[key] = None
        return clean

    @validates("languages")
    def _known_languages(self, value: list[str], **_: Any) -> None:
        allowed = list(current_app.config["LANGUAGES"])
        unknown = [code for code in value if code not in allowed]
        if unknown:
            raise ValidationError(
                _l("Langue inconnue : %(codes)s. Choisissez parmi %(allowed)s.",
                   codes=", ".join(unknown), allowed=", ".join(allowed))
            )

    @validates_schema
    def _end_after_start(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            raise ValidationError(_l("La fin doit venir après le début."), "ends_at")


def load_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """The clean event fields; raises ``marshmallow.ValidationError`` (messages per field)."""
    clean: dict[str, Any] = EventSchema().load(dict(data))
    # Keep the order the languages were given, once each.
    clean["languages"] = list(dict.fromkeys(clean["languages"]))
    return clean
