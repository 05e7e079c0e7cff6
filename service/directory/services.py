"""Adding, editing, listing and disabling relays (admin page and command line).

Every function takes the platform: a relay of another platform is "not found", never shown.
An admin's change to an imported place stays until the open data itself changes that place
(its content hash is kept), so a daily re-import does not undo the admin's work each night.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, or_, select

from service import db
from service.directory.models import Relay, join_values, split_values
from service.directory.schemas import RelayForm, form_input
from service.directory.search import commune_key, locate
from service.errors import ServiceError

PER_PAGE = 50


class RelayInvalid(Exception):
    """The input does not pass ``RelayForm``: ``errors`` is ``{field: [message]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid relay")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Page:
    relays: list[Relay]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def validate(form: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted form (or a dict from the command line) -> clean values, or RelayInvalid."""
    try:
        return RelayForm().load(form_input(form))
    except ValidationError as error:
        messages = error.normalized_messages()
        raise RelayInvalid(
            {str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
             for k, v in messages.items()}
        ) from error


def _columns(values: dict[str, Any], platform_id: int) -> dict[str, Any]:
    columns = {**values}
    columns["languages"] = join_values(values["languages"])
    columns["access"] = join_values(values["access"])
    columns["commune_key"] = commune_key(values["commune"])
    columns["welcomes_public"] = "no_public" not in values["access"]
    if columns["latitude"] is None:
        # A person added by hand rarely comes with coordinates: place them at the centre of the
        # platform's places with their postcode or commune (never a whole département).
        place = locate(platform_id, f"{values['postcode']} {values['commune']}")
        if place is not None and place.precision in ("postcode", "commune"):
            columns["latitude"], columns["longitude"] = place.latitude, place.longitude
    return columns


def create_relay(platform_id: int, form: Mapping[str, Any]) -> Relay:
    """Validate and store a new relay of ``platform_id``; RelayInvalid stores nothing."""
    values = validate(form)
    with db.transaction() as tx:
        relay = Relay(platform_id=platform_id, source_id=None, active=True, content_hash="",
                      updated_at=datetime.now(UTC), **_columns(values, platform_id))
        tx.add(relay)
    return relay


def get_relay(platform_id: int, relay_id: int) -> Relay:
    """The relay, if it belongs to ``platform_id``; the 404 page otherwise (the same for a
    relay of another platform as for none)."""
    relay = db.session().scalar(
        select(Relay).where(Relay.platform_id == platform_id, Relay.id == relay_id)
    )
    if relay is None:
        raise ServiceError("not_found", 404)
    return relay


def update_relay(platform_id: int, relay_id: int, form: Mapping[str, Any]) -> Relay:
    """Validate and apply ``form`` to a relay of ``platform_id``; RelayInvalid changes nothing."""
    values = validate(form)
    with db.transaction():
        relay = get_relay(platform_id, relay_id)
        for name, value in _columns(values, platform_id).items():
            setattr(relay, name, value)
        relay.updated_at = datetime.now(UTC)
    return relay


def set_active(platform_id: int, relay_id: int, active: bool) -> Relay:
    with db.transaction():
        relay = get_relay(platform_id, relay_id)
        relay.active = active
        relay.updated_at = datetime.now(UTC)
    return relay


def list_relays(platform_id: int, *, q: str = "", page: int = 1, per_page: int = PER_PAGE,
                kind: str | None = None) -> Page:
    """A page of the platform's relays, by name; ``q`` matches name, commune or postcode."""
    where = [Relay.platform_id == platform_id]
    if kind:
        where.append(Relay.kind == kind)
    q = q.strip()[:100]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(or_(
            func.lower(Relay.name).like(f"%{escaped.lower()}%", escape="\\"),
            Relay.commune_key.like(f"{commune_key(q)}%") if commune_key(q) else Relay.id < 0,
            Relay.postcode.like(f"{escaped}%", escape="\\"),
        ))
    session = db.session()
    total = session.scalar(select(func.count()).select_from(Relay).where(*where)) or 0
    page = max(1, page)
    relays = list(session.scalars(
        select(Relay).where(*where).order_by(Relay.name, Relay.id)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    return Page(relays, total, page, per_page)


def form_values(relay: Relay) -> dict[str, Any]:
    """What the edit form shows for ``relay``."""
    return {
        "kind": relay.kind, "name": relay.name, "address": relay.address,
        "postcode": relay.postcode, "commune": relay.commune,
        "latitude": "" if relay.latitude is None else f"{relay.latitude:.6f}",
        "longitude": "" if relay.longitude is None else f"{relay.longitude:.6f}",
        "phone": relay.phone, "email": relay.email, "website": relay.website,
        "appointment_url": relay.appointment_url, "opening_hours": relay.opening_hours,
        "access": list(split_values(relay.access)),
        "languages": list(split_values(relay.languages)),
        "fees": relay.fees, "family": relay.family, "accessible": relay.accessible,
        "summary": relay.summary,
    }
