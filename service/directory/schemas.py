"""Input schemas: a row of the national open data (v1.0.2 and the older v0.1), and the relay
form used by admins and by ``relais relays add``.

The open-data schemas check what the standard requires and the formats and enumerations the
directory relies on: identity and address, coordinates, phone, e-mails and links (rendered as
links, so only http(s)), update date, and the enumerations a parent filters on (services,
publics, specific support, fees, how to get in). Fields the directory does not use are left
out (``unknown = EXCLUDE``). Multi-values are split on ``|`` (v1) or ``;`` (v0.1); the
opening hours keep their ``;``, which belongs to the OpenStreetMap syntax.
"""

from __future__ import annotations

import re
from typing import Any

import opening_hours
import phonenumbers
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from service.directory.models import ACCESS_MODES, FEES, KINDS

SEPARATORS = re.compile(r"\s*[|;]\s*")

# Schema v1.0.2 enumerations the directory reads.
V1_SERVICES = (
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)
V1_PUBLICS = ("Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes")
V1_SUPPORT = (
    "Surdité",
    "Handicaps moteurs",
    "Handicaps mentaux",
    "Illettrisme",
    "Langues étrangères (anglais)",
    "Langues étrangères (autres)",
    "Déficience visuelle",
)
V1_FEES = ("Gratuit", "Gratuit sous condition", "Payant")
V1_ACCESS = (
    "Se présenter",
    "Téléphoner",
    "Contacter par mail",
    "Prendre un RDV en ligne",
    "Ce lieu n'accueille pas de public",
    "Envoyer un mail avec une fiche de prescription",
)
# Schema v0.1 enumerations.
V0_SERVICES = (
    "Devenir autonome dans les démarches administratives",
    "Réaliser des démarches administratives avec un accompagnement",
    "Prendre en main un smartphone ou une tablette",
    "Prendre en main un ordinateur",
    "Utiliser le numérique au quotidien",
    "Approfondir ma culture numérique",
    "Favoriser mon insertion professionnelle",
    "Accéder à une connexion internet",
    "Accéder à du matériel",
    "S'équiper en matériel informatique",
    "Créer et développer mon entreprise",
    "Créer avec le numérique",
    "Accompagner les démarches de santé",
    "Promouvoir la citoyenneté numérique",
    "Soutenir la parentalité et l'éducation avec le numérique",
)
V0_PUBLICS = (
    "Seniors (+ 65 ans)",
    "Familles/enfants",
    "Adultes",
    "Jeunes (16-26 ans)",
    "Public langues étrangères",
    "Déficience visuelle",
    "Surdité",
    "Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes "
    "comportementales",
    "Handicaps mentaux : déficiences limitant les activités d'une personne",
    "Uniquement femmes",
    "Personnes en situation d'illettrisme",
)
V0_CONDITIONS = (
    "Gratuit : Je peux accéder gratuitement au lieu et à ses services",
    "Gratuit sous condition : La gratuité est conditionnée à des critères (situation "
    "familiale, convention avec un organisme social...)",
    "Payant : L'accès au lieu et/ou à ses services est payant",
    "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder "
    "au lieu",
    "Adhésion : L'accès au lieu et/ou à ses services nécessite d'y adhérer",
)
# Keys that exist only in v0.1: a row holding one of them is read with the v0.1 schema.
V0_ONLY_KEYS = frozenset(
    {"courriel", "publics_accueillis", "conditions_acces", "labels_nationaux",
     "labels_autres", "accessibilite", "cle_ban"}
)

_PHONE_PATTERN = re.compile(
    r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}$"
)
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_URL = validate.URL(schemes={"http", "https"}, require_tld=True)
_EMAIL = validate.Email()


def split_multi(value: Any) -> list[str]:
    """``"a|b"``, ``"a;b"`` or a JSON list -> ``["a", "b"]``."""
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v for v in SEPARATORS.split(str(value).strip()) if v]


def web_url(value: str) -> str:
    """A link as published (often ``www.example.fr``) -> an http(s) URL, or ValidationError."""
    value = value.strip()
    if value and "://" not in value:
        value = "https://" + value
    _URL(value)
    return value


class MultiValue(fields.Field):
    """A multi-value cell; with ``choices``, every value must be one of them."""

    def __init__(self, choices: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = frozenset(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        items = split_multi(value)
        if self.choices:
            unknown = [v for v in items if v not in self.choices]
            if unknown:
                raise ValidationError(f"not an allowed value: {unknown[0]!r}")
        return items


class Emails(MultiValue):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        items = super()._deserialize(value, attr, data, **kwargs)
        for item in items:
            _EMAIL(item)
        return items


class Urls(MultiValue):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        return [web_url(v) for v in super()._deserialize(value, attr, data, **kwargs)]


class Url(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return web_url(super()._deserialize(value, attr, data, **kwargs))


class OpenDataPhone(fields.String):
    """The standard's pattern (``+33...``); national ``01 23 45 67 89`` is accepted and
    normalised first, as many producers publish it that way."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        phone = _PHONE_NOISE.sub("", super()._deserialize(value, attr, data, **kwargs))
        if len(phone) == 10 and phone.startswith("0") and phone.isdigit():
            phone = "+33" + phone[1:]
        if not _PHONE_PATTERN.match(phone):
            raise ValidationError("not a phone number of the standard (+33...)")
        return phone


class _OpenDataRow(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(1, 200))
    nom = fields.String(required=True, validate=validate.Length(1, 300))
    commune = fields.String(required=True, validate=validate.Length(1, 200))
    code_postal = fields.String(required=True, validate=validate.Regexp(r"^\d{5}$"))
    code_insee = fields.String(validate=validate.Regexp(r"^([013-9]\d|2[AB1-9])\d{3}$"))
    adresse = fields.String(required=True, validate=validate.Length(1, 400))
    complement_adresse = fields.String()
    latitude = fields.Float(validate=validate.Range(-90, 90))
    longitude = fields.Float(validate=validate.Range(-180, 180))
    telephone = OpenDataPhone()
    site_web = Urls()
    horaires = fields.String()
    presentation_resume = fields.String()
    date_maj = fields.Date(required=True)
    prise_rdv = Url()


class OpenDataRowV1(_OpenDataRow):
    """Schema v1.0.2 (``|``-separated)."""

    pivot = fields.String(required=True, validate=validate.Regexp(r"^[a-zA-Z0-9]{9,14}$"))
    courriels = Emails()
    services = MultiValue(V1_SERVICES)
    publics_specifiquement_adresses = MultiValue(V1_PUBLICS)
    prise_en_charge_specifique = MultiValue(V1_SUPPORT)
    frais_a_charge = MultiValue(V1_FEES)
    modalites_acces = MultiValue(V1_ACCESS)
    fiche_acces_libre = Url()


class OpenDataRowV0(_OpenDataRow):
    """Schema v0.1 (``;``-separated, other names; ``services`` is required)."""

    pivot = fields.String(required=True)
    courriel = Emails()
    services = MultiValue(V0_SERVICES, required=True)
    publics_accueillis = MultiValue(V0_PUBLICS)
    conditions_acces = MultiValue(V0_CONDITIONS)
    accessibilite = Url()


V1 = OpenDataRowV1()
V0 = OpenDataRowV0()


def row_schema(row: dict[str, Any]) -> Schema:
    return V0 if not V0_ONLY_KEYS.isdisjoint(row) else V1


class RowLoader:
    """``schema.load`` for tens of thousands of rows: the same fields, checks and messages,
    but each distinct value of a field is checked once. The national file repeats most cells
    (services, publics, hours, dates, links), and marshmallow's per-field cost dominated the
    import. Only for schemas without schema-level validators or hooks (asserted)."""

    MEMO_PER_FIELD = 5000

    def __init__(self, schema: Schema) -> None:
        assert not schema._hooks or not any(schema._hooks.values()), "hooks need Schema.load"
        self.schema = schema
        self.fields = [(name, f.data_key or name, f) for name, f in schema.load_fields.items()]
        self.memo: dict[str, dict[str, tuple[bool, Any]]] = {n: {} for n, _k, _f in self.fields}

    def load(self, row: dict[str, Any]) -> dict[str, Any]:
        """The loaded row, or ``ValidationError`` with ``{field: [message]}``."""
        loaded: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, key, field_ in self.fields:
            value = row.get(key)
            if value is None:
                if field_.required:
                    errors[key] = [field_.error_messages["required"]]
                continue
            memo = self.memo[name] if isinstance(value, str) else None
            outcome = memo.get(value) if memo is not None else None
            if outcome is None:
                try:
                    outcome = (True, field_.deserialize(value, key, row))
                except ValidationError as error:
                    outcome = (False, error.messages)
                if memo is not None and len(memo) < self.MEMO_PER_FIELD:
                    memo[value] = outcome
            if outcome[0]:
                loaded[field_.attribute or name] = outcome[1]
            else:
                errors[key] = outcome[1]
        if errors:
            raise ValidationError(errors)
        return loaded


# --- The relay form (admin page and ``relais relays add``) -----------------------------------

_REQUIRED = {"required": _l("Ce champ est obligatoire."), "null": _l("Ce champ est obligatoire.")}
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


class FormPhone(fields.String):
    """A phone number as people type it (French or international) -> E.164."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return ""
        try:
            number = phonenumbers.parse(text, "FR")
        except phonenumbers.NumberParseException as error:
            raise ValidationError(str(_l("Ce numéro de téléphone n'est pas valable."))) from error
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(str(_l("Ce numéro de téléphone n'est pas valable.")))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class OptionalUrl(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return ""
        try:
            return web_url(text)
        except ValidationError as error:
            raise ValidationError(
                str(_l("Cette adresse web n'est pas valable (exemple : https://exemple.fr)."))
            ) from error


class OptionalFloat(fields.Float):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as error:
            raise ValidationError(str(_l("Indiquez un nombre, par exemple 48.85."))) from error


def _opening_hours(value: str) -> None:
    if value and not opening_hours.validate(value):
        raise ValidationError(str(_l(
            "Ces horaires ne sont pas lisibles. Exemple : Mo-Fr 09:00-12:00; Sa 10:00-12:00"
        )))


def _languages(values: list[str]) -> None:
    for code in values:
        if not LANGUAGE_CODE.match(code):
            raise ValidationError(str(_l("Code de langue inconnu : %(code)s", code=code[:10])))


class RelayForm(Schema):
    """A relay typed by a person. Strings are stripped; optional ones default to ""."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(
        required=True, validate=validate.OneOf(KINDS, error=_l("Choisissez un type de relais.")),
        error_messages=_REQUIRED,
    )
    name = fields.String(
        required=True, error_messages=_REQUIRED,
        validate=validate.Length(1, 200, error=_l("Entre 1 et 200 caractères.")),
    )
    address = fields.String(
        load_default="", validate=validate.Length(max=400, error=_l("400 caractères au plus."))
    )
    postcode = fields.String(
        required=True, error_messages=_REQUIRED,
        validate=validate.Regexp(r"^\d{5}$", error=_l("Un code postal a 5 chiffres.")),
    )
    commune = fields.String(
        required=True, error_messages=_REQUIRED,
        validate=validate.Length(1, 200, error=_l("Entre 1 et 200 caractères.")),
    )
    latitude = OptionalFloat(load_default=None, allow_none=True,
                             validate=validate.Range(-90, 90, error=_l("Entre -90 et 90.")))
    longitude = OptionalFloat(load_default=None, allow_none=True,
                              validate=validate.Range(-180, 180, error=_l("Entre -180 et 180.")))
    phone = FormPhone(load_default="")
    email = fields.String(load_default="")
    website = OptionalUrl(load_default="")
    appointment_url = OptionalUrl(load_default="")
    opening_hours = fields.String(
        load_default="",
        validate=[validate.Length(max=500, error=_l("500 caractères au plus.")), _opening_hours],
    )
    access = fields.List(
        fields.String(validate=validate.OneOf(ACCESS_MODES, error=_l("Choix inconnu."))),
        load_default=list,
    )
    languages = fields.List(fields.String(), load_default=list, validate=_languages)
    fees = fields.String(
        load_default="", validate=validate.OneOf(("", *FEES), error=_l("Choix inconnu."))
    )
    family = fields.Boolean(load_default=False)
    accessible = fields.Boolean(load_default=False)
    summary = fields.String(
        load_default="", validate=validate.Length(max=280, error=_l("280 caractères au plus."))
    )

    @validates_schema
    def _coordinates_together(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            raise ValidationError(
                str(_l("Indiquez la latitude et la longitude, ou aucune des deux.")), missing
            )

    @validates_schema
    def _email(self, data: dict[str, Any], **_kwargs: Any) -> None:
        email = data.get("email", "")
        if email:
            try:
                _EMAIL(email)
            except ValidationError as error:
                raise ValidationError(
                    str(_l("Cette adresse e-mail n'est pas valable.")), "email"
                ) from error


def form_input(form: Any) -> dict[str, Any]:
    """A submitted form (``request.form`` or a dict) -> what ``RelayForm`` loads: strings
    stripped (blank ones left out), lists for the multi-choice fields, booleans for the
    checkboxes."""
    getlist = getattr(form, "getlist", None)
    data: dict[str, Any] = {}
    for name, field in RelayForm().fields.items():
        if isinstance(field, fields.List):
            if getlist is not None:
                values = getlist(name)
            else:
                values = form.get(name) or []
            if isinstance(values, str):
                values = [v for v in re.split(r"[\s,;|]+", values) if v]
            data[name] = [str(v).strip().lower() if name == "languages" else str(v).strip()
                          for v in values if str(v).strip()]
        elif isinstance(field, fields.Boolean):
            data[name] = form.get(name) in ("yes", "on", "true", "1", True)
        elif name in form and form.get(name) is not None:
            text = str(form.get(name)).strip()
            if text:  # blank is absent: "required" for required fields, the default otherwise
                data[name] = text
    return data
