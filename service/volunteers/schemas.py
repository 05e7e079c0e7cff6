"""The volunteers' forms, validated at the edge: a parent's offer to help, and the admin's
approval. Errors come back as plain French sentences keyed by field, for the form macros."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
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

from service.directory.models import OTHER_LANGUAGES
from service.help.models import MOMENTS
from service.help.schemas import Phone, PlainText
from service.topics import TOPICS
from service.volunteers.models import FIRST_NAME_MAX

# What a volunteer can be at ease with, and the help topics each one answers.
EASE: dict[str, tuple[str, ...]] = {
    "ent_app": ("install_app", "connect_ent"),
    "pronote": ("connect_ent", "follow_schoolwork", "contact_teacher"),
    "educonnect": ("connect_ent", "forgot_password"),
    "email": ("create_email",),
    "bourse": ("bourse",),
    "orientation": ("orientation",),
    "parcoursup": ("parcoursup",),
}
# When a volunteer is free: the help requests' moments, and the school's own events.
AVAILABILITY = (*MOMENTS, "events")
SIGN_UP_FIELDS = ("first_name", "languages", "moments", "at_ease", "phone", "consent")
APPROVE_FIELDS = ("topics", "lasts")
LINK_DURATIONS = ("90d", "180d", "366d")


class Choices(fields.Field):
    """Several values from a fixed list (checkboxes), in the list's order; at least one."""

    def __init__(self, choices: Iterable[str], *, empty: object, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self.empty = empty

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > len(self.choices) or any(v not in self.choices for v in values):
            raise ValidationError(_("Choisissez dans la liste proposée."))
        chosen = [c for c in self.choices if c in values]
        if not chosen and self.empty is not None:
            raise ValidationError(str(self.empty))
        return chosen


def _tidy(data: Mapping[str, Any], lists: tuple[str, ...]) -> dict[str, Any]:
    """A form as the schema expects it: lists for checkboxes, no empty text box."""
    getlist = getattr(data, "getlist", None)
    tidy: dict[str, Any] = {}
    for key in data:
        if key in lists:
            tidy[key] = getlist(key) if getlist else data[key]
            continue
        value = data[key]
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        tidy[key] = value
    return tidy


class SignUpSchema(Schema):
    """"Je veux aider d'autres parents": no email, a phone number only with consent."""

    class Meta:
        unknown = EXCLUDE

    first_name = PlainText(
        required=True,
        validate=validate.Length(max=FIRST_NAME_MAX,
                                 error=_l("Votre prénom est trop long : {max} caractères au "
                                          "plus.")),
        error_messages={"required": _l("Écrivez votre prénom."),
                        "null": _l("Écrivez votre prénom.")},
    )
    languages = Choices((), empty=_l("Cochez au moins une langue."), required=True,
                        error_messages={"required": _l("Cochez au moins une langue.")})
    moments = Choices(AVAILABILITY, empty=_l("Cochez au moins un moment."), required=True,
                      error_messages={"required": _l("Cochez au moins un moment.")})
    at_ease = Choices(tuple(EASE), empty=_l("Cochez au moins une chose que vous savez faire."),
                      required=True, error_messages={
                          "required": _l("Cochez au moins une chose que vous savez faire.")})
    phone = Phone(load_default=None)
    consent = fields.String(load_default="")

    def __init__(self, languages: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["languages"].choices = (*languages, OTHER_LANGUAGES)  # type: ignore[attr-defined]

    @pre_load
    def _tidy(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _tidy(data, ("languages", "moments", "at_ease"))

    @validates_schema
    def _consent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("phone") and data.get("consent") != "yes":
            raise ValidationError(_("Pour garder votre numéro, cochez cette case. Sans "
                                    "numéro, laissez la case du téléphone vide."), "consent")


class ApproveSchema(Schema):
    """The admin's "yes": which requests go to the new parent ressource, and how long their
    link works."""

    class Meta:
        unknown = EXCLUDE

    topics = Choices(tuple(TOPICS), empty=None, load_default=list)
    lasts = fields.String(load_default="180d", validate=validate.OneOf(
        LINK_DURATIONS, error=_l("Choisissez une durée dans la liste.")))

    @pre_load
    def _tidy(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _tidy(data, ("topics",))


def suggested_topics(at_ease: Iterable[str]) -> list[str]:
    """The help topics a volunteer at ease with these things can take, in the topics' order."""
    wanted = {t for e in at_ease for t in EASE.get(e, ())}
    return [t for t in TOPICS if t in wanted]
