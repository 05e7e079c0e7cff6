"""Creating schools and their short links.

A school's ``slug`` is the only key of its public help page (``/e/<slug>``): printed on
flyers, typed by hand from a phone, read aloud. So it is short (7 characters), lower case, and
drawn from an alphabet with no look-alikes (no 0/o, 1/l/i) and no vowels (no accidental words).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import db
from service.platforms.models import Platform
from service.schools.models import School

SLUG_ALPHABET = "bcdfghjkmnpqrstvwxz23456789"
SLUG_LENGTH = 7
_SLUG_TRIES = 20

_NUMBER = {"invalid": _l("Un nombre, par exemple 45.75.")}
_REQUIRED = {"required": _l("Ce champ est obligatoire."), "null": _l("Ce champ est obligatoire.")}


def new_slug() -> str:
    """A random slug (27^7, about 10^10 possibilities: no clash in practice, none guessable
    by walking through them)."""
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def public_link(school: School) -> str:
    """The short link of the school's public help page, as printed on flyers."""
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}/e/{school.slug}"


class SchoolSchema(Schema):
    name = fields.String(required=True, error_messages=_REQUIRED,
                         validate=validate.Length(2, 200, error=_l("Entre 2 et 200 caractères.")))
    # UAI: 7 digits and a letter (e.g. 0690001A); upper-cased before checking.
    uai = fields.String(load_default=None, allow_none=True,
                        validate=validate.Regexp(r"^\d{7}[A-Z]$",
                                                 error=_l("7 chiffres et une lettre, par exemple "
                                                          "0690001A.")))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    postcode = fields.String(load_default="",
                             validate=validate.Regexp(r"^(\d{5})?$",
                                                      error=_l("5 chiffres, par exemple 69008.")))
    commune = fields.String(load_default="", validate=validate.Length(max=120))
    latitude = fields.Float(load_default=None, allow_none=True, error_messages=_NUMBER,
                            validate=validate.Range(-90, 90, error=_l("Entre -90 et 90.")))
    longitude = fields.Float(load_default=None, allow_none=True, error_messages=_NUMBER,
                             validate=validate.Range(-180, 180, error=_l("Entre -180 et 180.")))
    contact_name = fields.String(load_default="", validate=validate.Length(max=200))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=40))

    @pre_load
    def _clean(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        for key in ("uai", "latitude", "longitude"):
            if clean.get(key) == "":
                clean[key] = None
        if isinstance(clean.get("uai"), str):
            clean["uai"] = clean["uai"].upper()
        return clean

    @validates_schema
    def _both_coordinates(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_l("Donnez la latitude et la longitude, ou aucune des deux."),
                                  "longitude")

    @validates_schema
    def _phone(self, data: dict[str, Any], **_: Any) -> None:
        phone = data.get("contact_phone")
        if phone and normalise_phone(phone) is None:
            raise ValidationError(_l("Ce numéro de téléphone n'est pas valable."),
                                  "contact_phone")


def normalise_phone(raw: str) -> str | None:
    """The number in international form (+33...), or None when it is not a valid number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def platform_named(name: str) -> Platform | None:
    return db.session().scalar(select(Platform).where(Platform.name == name))


def schools_of(platform_id: int) -> list[School]:
    """The platform's schools, by name."""
    return list(
        db.session().scalars(
            select(School).where(School.platform_id == platform_id).order_by(School.name)
        )
    )


def school_named(platform_id: int, name: str) -> School | None:
    return db.session().scalar(
        select(School).where(School.platform_id == platform_id, School.name == name)
    )


def create_school(platform_id: int, data: Mapping[str, Any], *, slug: str | None = None) -> School:
    """Validate ``data`` and create the school with a fresh unique slug (or ``slug``).

    Raises ``marshmallow.ValidationError`` (messages per field) on invalid input or when the
    platform already has a school of that name; nothing is written then.
    """
    clean = SchoolSchema().load(dict(data))
    if clean.get("contact_phone"):
        clean["contact_phone"] = normalise_phone(clean["contact_phone"])
    if school_named(platform_id, clean["name"]) is not None:
        raise ValidationError({"name": [_l("Un établissement porte déjà ce nom.")]})
    wanted = slug
    for _ in range(1 if wanted else _SLUG_TRIES):
        candidate = wanted or new_slug()
        if db.session().scalar(select(School.id).where(School.slug == candidate)) is not None:
            if wanted:
                raise ValidationError({"slug": [_l("Ce lien court est déjà pris.")]})
            continue
        try:
            with db.transaction() as tx:
                school = School(platform_id=platform_id, slug=candidate, **clean)
                tx.add(school)
            return school
        except IntegrityError as error:
            # Another writer took the name or the slug between our check and our insert.
            if school_named(platform_id, clean["name"]) is not None:
                raise ValidationError(
                    {"name": [_l("Un établissement porte déjà ce nom.")]}
                ) from error
            if wanted:
                raise ValidationError({"slug": [_l("Ce lien court est déjà pris.")]}) from error
    raise RuntimeError("could not find a free slug")  # 10^10 codes: never in practice


def ensure_school(platform_id: int, data: Mapping[str, Any], *, slug: str) -> School:
    """The platform's school named ``data["name"]``, created with ``slug`` if missing
    (idempotent: the sandbox calls it at every start)."""
    found = school_named(platform_id, str(data["name"]))
    if found is not None:
        return found
    return create_school(platform_id, data, slug=slug)
