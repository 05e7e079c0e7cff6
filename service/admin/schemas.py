"""The admin forms, validated at the edge: each error is a plain French sentence keyed by
field, for the form macros; nothing reaches the services unchecked."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from service.admin.settings import TOOLS, URL_FIELDS

_REQUIRED = {"required": _l("Ce champ est obligatoire."), "null": _l("Ce champ est obligatoire.")}
_PARAM = re.compile(r"^[A-Za-z0-9_.:-]{1,50}$")
_VALUE = re.compile(r"^[^,\s<>\"'`]{1,50}$")
_CLAIM = re.compile(r"^[^,\s<>\"'`]{1,200}$")


def _no_control(value: str) -> None:
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValidationError(_l("Ce texte contient un caractère invisible non accepté."))
    if "<" in value or ">" in value:
        raise ValidationError(_l("Écrivez du texte simple, sans < ni >."))


class _Url(fields.String):
    """An http(s) address, or nothing."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return ""
        if len(text) > 1000 or not re.match(r"^https?://[^\s/?#@]+[^\s]*$", text) \
                or not text.isprintable():
            raise ValidationError(_l("Une adresse web complète, par exemple https://…"))
        return text


class SettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, error_messages=_REQUIRED, validate=[
        validate.Length(2, 200, error=_l("Entre 2 et 200 caractères.")), _no_control])
    retention_days = fields.Integer(
        load_default=None, allow_none=True,
        error_messages={"invalid": _l("Un nombre de jours, par exemple 90.")},
        validate=validate.Range(7, 730, error=_l("Entre 7 et 730 jours.")))
    languages = fields.List(fields.String(), load_default=list)
    tools = fields.List(fields.String(validate=validate.OneOf(
        TOOLS, error=_l("Choisissez parmi les outils proposés."))), load_default=list)
    ent_url = _Url(load_default="")
    pronote_url = _Url(load_default="")
    ent_app_url = _Url(load_default="")
    educonnect_url = _Url(load_default="")

    def __init__(self, languages: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.known_languages = tuple(languages)

    @pre_load
    def _clean(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        clean = dict(data)
        if isinstance(clean.get("name"), str):
            clean["name"] = clean["name"].strip()
        if str(clean.get("retention_days", "")).strip() == "":
            clean["retention_days"] = None
        return clean

    @validates_schema
    def _languages(self, data: dict[str, Any], **_: Any) -> None:
        chosen = data.get("languages", [])
        if any(code not in self.known_languages for code in chosen):
            raise ValidationError(_l("Choisissez parmi les langues proposées."), "languages")
        if "fr" in self.known_languages and "fr" not in chosen:
            raise ValidationError(_l("Le français reste toujours proposé."), "languages")
        # The order of the instance, whatever the order sent.
        data["languages"] = [c for c in self.known_languages if c in chosen]


def _words(text: object) -> list[str]:
    if isinstance(text, list | tuple):
        items = [str(v) for v in text]
    else:
        items = str(text or "").split(",")
    return list(dict.fromkeys(i.strip() for i in items if i.strip()))


class _Words(fields.Field[list[str]]):
    """Comma-separated values: ``"parents, parent"`` → ``["parents", "parent"]``."""

    def __init__(self, pattern: re.Pattern[str], *, most: int, least: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern, self.most, self.least = pattern, most, least

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        words = _words(value)
        if len(words) < self.least:
            raise ValidationError(_l("Donnez au moins une valeur."))
        if len(words) > self.most:
            raise ValidationError(_l("Au plus %(n)d valeurs.", n=self.most))
        for word in words:
            if not self.pattern.match(word) or not word.isprintable():
                raise ValidationError(_l("« %(value)s » n'est pas accepté : ni espace, ni "
                                         "virgule, ni guillemet.", value=word[:60]))
        return words


class AudienceSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    audience_param = fields.String(required=True, error_messages=_REQUIRED, validate=[
        validate.Regexp(_PARAM, error=_l("Lettres, chiffres, « _ », « - », « . » ou « : », "
                                         "50 au plus, sans espace."))])
    parent_values = _Words(_VALUE, most=10, least=1, required=True, error_messages=_REQUIRED)
    ent_profile_claims = _Words(_CLAIM, most=8, load_default=list)
    admin_profiles = _Words(_VALUE, most=20, load_default=list)
    teacher_profiles = _Words(_VALUE, most=20, load_default=list)
    parent_profiles = _Words(_VALUE, most=20, load_default=list)
    learner_profiles = _Words(_VALUE, most=20, load_default=list)

    @pre_load
    def _strip(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}

    @validates_schema
    def _one_audience_per_profile(self, data: dict[str, Any], **_: Any) -> None:
        seen: dict[str, str] = {}
        for name in ("admin_profiles", "teacher_profiles", "parent_profiles",
                     "learner_profiles"):
            for profile in data.get(name, []):
                key = profile.casefold()
                if key in seen:
                    raise ValidationError(
                        _l("« %(value)s » est déjà dans une autre liste : un profil ne désigne "
                           "qu'un seul public.", value=profile), name)
                seen[key] = name


def form_errors(error: ValidationError) -> dict[str, list[str]]:
    """marshmallow's messages as {field: [sentences]} for the form macros."""
    messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, dict):  # a list field: {index: [messages]}
            value = [m for sub in value.values() for m in (sub if isinstance(sub, list)
                                                           else [sub])]
        flat[str(name)] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


__all__ = ["URL_FIELDS", "AudienceSchema", "SettingsSchema", "form_errors"]
