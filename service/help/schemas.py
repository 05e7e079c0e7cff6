"""Every input of the help flow, validated at the edge. Errors come back as plain French
sentences keyed by field name, for the form macros; nothing reaches the services unchecked."""

from __future__ import annotations

import re
import unicodedata
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
    validates,
    validates_schema,
)

from service.help.models import (
    FIRST_NAME_MAX,
    MESSAGE_MAX,
    MOMENTS,
    TARGET_RELAY,
    TARGET_SCHOOL_CONTACT,
)
from service.help.phones import PhoneError, to_e164
from service.topics import TOPICS

# Something that reads as markup: a tag, a comment, a doctype. "<3" or "a < b" stay allowed.
_MARKUP = re.compile(r"<\s*[/!?]?\s*[a-zA-Z]|<!--|&#?\w+;")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# The wizard's hidden fields and their column sizes (HelpRequest.step, HelpRequest.device).
HIDDEN_MAX = {"step": 40, "device": 20}

# Fields in the order the form shows them, so the error summary reads top to bottom.
CALLBACK_FIELDS = ("phone", "moments", "language", "topic", "first_name", "message", "consent",
                   "sms_updates")


def _plain(value: str, *, multiline: bool = False) -> None:
    """Refuse control characters (newlines only where a paragraph makes sense) and markup."""
    allowed = {"\n", "\r", "\t"} if multiline else set()
    for char in value:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cs"):
            raise ValidationError(_("Ce texte contient un caractère invisible non accepté."))
    if _MARKUP.search(value):
        raise ValidationError(_("Écrivez du texte simple, sans balises comme < > ni code."))


class PlainText(fields.String):
    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        _plain(text, multiline=self.multiline)
        return text


class Phone(fields.String):
    """A phone number as typed → E.164."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            _plain(text)
            return to_e164(text)
        except PhoneError as error:
            if error.code == "refused":
                raise ValidationError(
                    _("Ce numéro est payant. Donnez un numéro de portable ou de fixe.")
                ) from error
            raise ValidationError(_invalid_phone()) from error
        except ValidationError as error:
            raise ValidationError(_invalid_phone()) from error


def _invalid_phone() -> str:
    return _(
        "Ce numéro n'est pas valable. Écrivez par exemple 06 12 34 56 78, "
        "ou +33 6 12 34 56 78 depuis l'étranger."
    )


class Choices(fields.Field):
    """Several values from a fixed list (checkboxes); duplicates dropped, order kept."""

    def __init__(self, choices: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > len(self.choices) or any(v not in self.choices for v in values):
            raise ValidationError(_("Choisissez parmi les moments proposés."))
        return [c for c in self.choices if c in values]


def _drop_empty(data: Mapping[str, Any]) -> dict[str, Any]:
    """An empty box is a missing answer: the "required" message, not a format error."""
    tidy: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        tidy[key] = value
    return tidy


def _required(text: object) -> dict[str, object]:
    return {"required": text, "null": text}


class CallbackSchema(Schema):
    """The "be called back" form, in the ENT and on the public page of a school."""

    class Meta:
        unknown = EXCLUDE

    phone = Phone(
        required=True,
        error_messages=_required(_l("Écrivez le numéro où l'on peut vous rappeler.")),
    )
    moments = Choices(MOMENTS, load_default=list)
    language = fields.String(
        required=True, error_messages=_required(_l("Choisissez une langue."))
    )
    topic = fields.String(
        required=True,
        validate=validate.OneOf(TOPICS, error=_l("Choisissez un sujet dans la liste.")),
        error_messages=_required(_l("Choisissez un sujet.")),
    )
    first_name = PlainText(
        load_default="",
        validate=validate.Length(
            max=FIRST_NAME_MAX,
            error=_l("Votre prénom est trop long : {max} caractères au plus."),
        ),
    )
    message = PlainText(
        multiline=True,
        load_default="",
        validate=validate.Length(
            max=MESSAGE_MAX,
            error=_l("Votre message est trop long : {max} caractères au plus."),
        ),
    )
    consent = fields.String(
        required=True,
        validate=validate.Equal("yes", error=_l("Pour être rappelé, cochez cette case.")),
        error_messages=_required(_l("Pour être rappelé, cochez cette case.")),
    )
    # "Prévenez-moi par SMS": anything but "yes" is a no (an unticked box sends nothing).
    sms_updates = fields.String(load_default="")
    # Set by the wizard's "Je bloque ici"; hidden fields, never typed by the parent.
    step = fields.String(
        load_default=None,
        validate=[validate.Regexp(_SLUG), validate.Length(max=HIDDEN_MAX["step"])],
    )
    device = fields.String(
        load_default=None,
        validate=[validate.Regexp(_SLUG), validate.Length(max=HIDDEN_MAX["device"])],
    )

    def __init__(self, languages: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.languages = tuple(languages)

    @staticmethod
    def hidden_ok(name: str, value: str) -> bool:
        """Whether a wizard value (``step``, ``device``) from a link can be carried along."""
        return len(value) <= HIDDEN_MAX[name] and bool(_SLUG.match(value))

    @pre_load
    def _tidy(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _drop_empty(data)

    @validates("language")
    def _language(self, value: str, data_key: str) -> None:
        if value not in self.languages:
            raise ValidationError(_("Choisissez une langue dans la liste."))


def form_data(form: Any) -> dict[str, Any]:
    """A request's form (a MultiDict) as the schema expects it: lists only for checkboxes."""
    data: dict[str, Any] = {k: form.get(k) for k in form.keys() if k != "moments"}
    if "moments" in form:
        data["moments"] = form.getlist("moments")
    return data


def flat_errors(errors: Mapping[str, Any], order: Iterable[str]) -> dict[str, list[str]]:
    """Marshmallow's errors as {field: [sentences]}, in the order the form shows its fields."""
    flat: dict[str, list[str]] = {}
    for name in [*order, *(k for k in errors if k not in order)]:
        if name in errors:
            messages = errors[name]
            if isinstance(messages, Mapping):
                messages = [m for ms in messages.values() for m in ms]
            elif not isinstance(messages, list | tuple):
                messages = [messages]  # a lazy message is kept whole by marshmallow
            flat[name] = [str(m) for m in messages]
    return flat


class LookupSchema(Schema):
    """The "find my request" form: the code, as typed."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(
        required=True,
        validate=validate.Length(max=40, error=_l("Ce code est trop long.")),
        error_messages=_required(_l("Écrivez le code de votre demande.")),
    )

    @pre_load
    def _tidy(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _drop_empty(data)


RULE_FIELDS = ("topic", "language", "school_id", "target", "relay_id", "priority")


class RuleSchema(Schema):
    """A routing rule added from the admin page. Empty criteria mean "any"."""

    class Meta:
        unknown = EXCLUDE

    topic = fields.String(
        load_default=None,
        validate=validate.OneOf(TOPICS, error=_l("Choisissez un sujet dans la liste.")),
    )
    language = fields.String(load_default=None)
    school_id = fields.Integer(
        load_default=None, error_messages={"invalid": _l("Choisissez un établissement.")}
    )
    target = fields.String(
        required=True,
        validate=validate.OneOf(
            (TARGET_RELAY, TARGET_SCHOOL_CONTACT), error=_l("Choisissez qui reçoit la demande.")
        ),
        error_messages=_required(_l("Choisissez qui reçoit la demande.")),
    )
    relay_id = fields.Integer(
        load_default=None,
        strict=False,
        validate=validate.Range(min=1, max=2**31 - 1, error=_l("Écrivez un numéro de relais.")),
        error_messages={"invalid": _l("Écrivez un numéro de relais, en chiffres.")},
    )
    priority = fields.Integer(
        load_default=0,
        validate=validate.Range(
            min=-100, max=100, error=_l("Écrivez un nombre entre -100 et 100.")
        ),
        error_messages={"invalid": _l("Écrivez un nombre entre -100 et 100.")},
    )

    def __init__(self, languages: Iterable[str], school_ids: Iterable[int], **kwargs: Any):
        super().__init__(**kwargs)
        self.languages = tuple(languages)
        self.school_ids = frozenset(school_ids)

    @pre_load
    def _tidy(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _drop_empty(data)

    # Field validators also see the defaults: ``None`` means "any".
    @validates("language")
    def _language(self, value: str | None, data_key: str) -> None:
        if value is not None and value not in self.languages:
            raise ValidationError(_("Choisissez une langue dans la liste."))

    @validates("school_id")
    def _school(self, value: int | None, data_key: str) -> None:
        if value is not None and value not in self.school_ids:
            raise ValidationError(_("Choisissez un établissement dans la liste."))

    @validates_schema
    def _target(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        if data.get("target") == TARGET_RELAY and data.get("relay_id") is None:
            raise ValidationError(_("Écrivez le numéro du relais."), "relay_id")
        if data.get("target") == TARGET_SCHOOL_CONTACT and data.get("relay_id") is not None:
            raise ValidationError(
                _("Laissez ce numéro vide pour le contact de l'établissement."), "relay_id"
            )
