"""What the API reads (query parameters) and writes (relays, events, statistics, errors).

Every query parameter is checked here, with bounds that keep the database's integers and
dates in range and strings free of control characters (PostgreSQL refuses a NUL in text):
bad input is a 400 naming the parameter, never a 500. Unknown parameters are ignored.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from service.directory.models import KINDS, split_values
from service.events.schemas import KINDS as EVENT_KINDS
from service.help.models import CHANNELS, ORIGINS, STATUSES

# Dates the API answers about; beyond them no data can exist, and date arithmetic stays safe.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_PAGE = 10_000
MAX_PER_PAGE = 200


def _plain(value: str) -> None:
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in value):
        raise ValidationError("control or unassigned characters are not accepted")


class _Date(fields.Date):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(f"between {FIRST_DAY} and {LAST_DAY}")
        return day


class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, strict=False, validate=validate.Range(1, MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PER_PAGE),
                              metadata={"description": "Items per page (at most 200)."})


class RelayQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(KINDS),
                         metadata={"description": "Only relays of this kind."})
    postcode = fields.String(validate=validate.Regexp(r"^\d{5}$", error="5 digits"),
                             metadata={"description": "Only relays with this postcode."})
    commune = fields.String(validate=[validate.Length(1, 120), _plain],
                            metadata={"description": "Only relays of this commune (exact name, "
                                                     "case and accents ignored)."})
    active = fields.Boolean(load_default=True,
                            metadata={"description": "Relays shown to parents (true, default) "
                                                     "or hidden by an admin (false)."})


class EventQuery(PageQuery):
    from_ = _Date(data_key="from", metadata={"description": "Events ending on or after this "
                                                             "day (default: today)."})
    to = _Date(metadata={"description": "Events starting on or before this day."})
    school_id = fields.Integer(validate=validate.Range(1, 2**31 - 1),
                               metadata={"description": "Only this school's events."})

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("from must not be after to", "to")


class StatisticsQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = _Date(data_key="from", metadata={"description": "First day counted (default: 30 "
                                                             "days before to)."})
    to = _Date(metadata={"description": "Last day counted (default: today)."})
    school_id = fields.Integer(validate=validate.Range(1, 2**31 - 1),
                               metadata={"description": "Only this school's requests."})

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("from must not be after to", "to")


# --- what the API answers ----------------------------------------------------------------------


class _Values(fields.Field[list[str]]):
    """A ``|a|b|`` column as a list."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[str]:
        return list(split_values(value or ""))


class RelaySchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.String(required=True)
    address = fields.String()
    postcode = fields.String()
    commune = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    phone = fields.String(allow_none=True, metadata={
        "description": "null for a parent ressource: a volunteer's own number is not shared."})
    email = fields.String(allow_none=True, metadata={"description": "null for a parent ressource."})
    website = fields.String()
    opening_hours = fields.String(metadata={"description": "OpenStreetMap opening_hours."})
    access = _Values(metadata={"description": "walk_in, phone, appointment, email, referral, "
                                              "no_public"})
    appointment_url = fields.String()
    languages = _Values(metadata={"description": "Language codes spoken there."})
    fees = fields.String()
    family = fields.Boolean()
    accessible = fields.Boolean()
    accessibility_url = fields.String()
    summary = fields.String()
    welcomes_public = fields.Boolean()
    active = fields.Boolean()
    updated_at = fields.DateTime(allow_none=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(validate=validate.OneOf(EVENT_KINDS))
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    place = fields.String()
    languages = fields.List(fields.String())
    description = fields.String()
    school_id = fields.Integer(allow_none=True)
    class_id = fields.String(allow_none=True, metadata={
        "description": "The LTI context id when the event is for one class only."})
    going = fields.Integer(metadata={"description": "How many said they would come."})


class _ListPage(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class RelayList(_ListPage):
    items = fields.List(fields.Nested(RelaySchema), required=True)


class EventList(_ListPage):
    items = fields.List(fields.Nested(EventSchema), required=True)


def _counts(keys: Any | None = None) -> fields.Dict:
    said = f"Count per value: {', '.join(keys)}." if keys else "Count per value."
    return fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                       metadata={"description": said})


class RequestStatisticsSchema(Schema):
    since = fields.DateTime(required=True)
    until = fields.DateTime(required=True)
    total = fields.Integer(required=True)
    by_status = _counts(STATUSES)
    by_topic = _counts()
    by_channel = _counts(CHANNELS)
    by_language = _counts()
    by_origin = _counts(ORIGINS)
    by_school = _counts()
    open = fields.Integer(required=True, metadata={"description": "Still new or contacted."})
    waiting = fields.Integer(required=True,
                             metadata={"description": "Still new after seven days."})
    hours_to_first_contact = fields.Float(allow_none=True, required=True, metadata={
        "description": "Median hours from a request to its first contact."})
    hours_to_resolution = fields.Float(allow_none=True, required=True, metadata={
        "description": "Median hours from a request to its resolution or closing."})


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "A stable code."})
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(),
                          values=fields.List(fields.String()),
                          metadata={"description": "Per parameter, for invalid_query."})
