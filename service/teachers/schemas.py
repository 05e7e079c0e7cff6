"""Validating the teachers' forms: the class settings and the deep-linking picker."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from service.teachers.models import CONTACT_MAX
from service.topics import TOPICS

# What a deep link can open (the custom ``view`` parameter, see plugin.context.VIEWS).
VIEWS = ("help", "wizard", "events")
CONTACT_LINES = 6
_ONE_TOPIC = _l("Gardez au moins un sujet : sans sujet, la page d'aide serait vide.")


def _codes(value: Any) -> list[str]:
    """A list of codes from checkboxes (a list) or a comma-separated string."""
    if isinstance(value, str):
        value = value.replace(" ", ",").split(",")
    if not isinstance(value, list | tuple):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


class SettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token, buttons

    enabled = fields.Boolean(load_default=False)
    topics = fields.List(fields.String(), load_default=list)
    shown_stages = fields.List(fields.String(), load_default=list)
    contact = fields.String(
        load_default="",
        validate=validate.Length(max=CONTACT_MAX, error=_l("500 caractères au plus.")),
    )
    school_id = fields.Integer(load_default=None, allow_none=True,
                               error_messages={"invalid": _l("Choisissez un établissement.")})
    flyer_languages = fields.List(fields.String(), load_default=list)

    @pre_load
    def _clean(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        clean["enabled"] = clean.get("enabled") in ("yes", "on", "true", True)
        for key in ("topics", "shown_stages", "flyer_languages"):
            clean[key] = _codes(clean.get(key, []))
        if clean.get("school_id") == "":
            clean["school_id"] = None
        return clean

    @validates("contact")
    def _contact(self, value: str, **_: Any) -> None:
        # It is printed on the flyer: a few lines, so the flyer stays on one page.
        if value.count("\n") >= CONTACT_LINES:
            raise ValidationError(_l("%(n)s lignes au plus.", n=CONTACT_LINES))

    @validates("topics")
    def _topics(self, value: list[str], **_: Any) -> None:
        if not value:
            raise ValidationError(_ONE_TOPIC)
        if any(code not in TOPICS for code in value):
            raise ValidationError(_l("Choisissez parmi les sujets proposés."))


def load_settings(data: Mapping[str, Any], *, school_ids: Collection[int],
                  stage_ids: Collection[str]) -> dict[str, Any]:
    """The clean settings, ready to store. Raises ``ValidationError`` (messages per field)."""
    from service.teachers.flyer import SENTENCES

    clean: dict[str, Any] = SettingsSchema().load(dict(data))
    errors: dict[str, list[Any]] = {}
    if clean["school_id"] is not None and clean["school_id"] not in school_ids:
        errors["school_id"] = [_l("Choisissez un établissement.")]
    unknown = [c for c in clean["flyer_languages"] if c not in SENTENCES]
    if unknown:
        errors["flyer_languages"] = [_l("Choisissez parmi les langues proposées.")]
    if stage_ids and any(s not in stage_ids for s in clean["shown_stages"]):
        errors["shown_stages"] = [_l("Choisissez parmi les étapes proposées.")]
    if errors:
        raise ValidationError(errors)
    shown = set(clean.pop("shown_stages"))
    clean["hidden_stages"] = [s for s in stage_ids if s not in shown]
    topics = set(clean["topics"])
    # All of them: stored as None, so a topic added later is shown too.
    clean["topics"] = None if topics >= set(TOPICS) else [t for t in TOPICS if t in topics]
    clean["flyer_languages"] = list(dict.fromkeys(clean["flyer_languages"])) or None
    return clean


class PickerSchema(Schema):
    """The deep-linking picker: what to add, and its options."""

    class Meta:
        unknown = EXCLUDE

    views = fields.List(fields.String(validate=validate.OneOf(VIEWS)), load_default=list)
    languages = fields.List(fields.String(), load_default=list)
    topics = fields.List(fields.String(validate=validate.OneOf(list(TOPICS))),
                         load_default=list)

    @pre_load
    def _clean(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        return {key: _codes(data.get(key, [])) for key in ("views", "languages", "topics")}

    @validates("views")
    def _some(self, value: list[str], **_: Any) -> None:
        if not value:
            raise ValidationError(_l("Choisissez ce que vous voulez ajouter."))

    @validates("languages")
    def _languages(self, value: list[str], **_: Any) -> None:
        allowed = list(current_app.config["LANGUAGES"])
        if any(code not in allowed for code in value):
            raise ValidationError(_l("Choisissez parmi les langues proposées."))


def load_picker(data: Mapping[str, Any], *, multiple: bool) -> dict[str, Any]:
    """The picker's choice. Raises ``ValidationError`` (messages per field); several views
    when the platform accepts one is an error on ``views``."""
    clean: dict[str, Any] = PickerSchema().load(dict(data))
    clean["views"] = list(dict.fromkeys(clean["views"]))
    if len(clean["views"]) > 1 and not multiple:
        raise ValidationError({"views": [_l("La plateforme n'accepte qu'un contenu à la fois : "
                                            "choisissez-en un.")]})
    if not clean["topics"] and "help" in clean["views"]:
        raise ValidationError({"topics": [_ONE_TOPIC]})
    return clean
