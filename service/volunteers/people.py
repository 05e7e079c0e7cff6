"""Who is asking, for the volunteers' pages: the audience from the session, and for a relay
the relay itself, checked against the link they signed in with (``service.relays``)."""

from __future__ import annotations

from flask import session

from service import db
from service.directory.models import Relay
from service.errors import ServiceError
from service.identity import Identity, current


def who() -> Identity:
    found = current()
    assert found is not None  # guaranteed by @requires
    return found


def signed_in_relay() -> Relay:
    """The relay of this session while the link they came with is still valid; otherwise the
    session ends with the relays' own 401 page (``relay_access_ended``)."""
    person = who()
    held = session.get("relay")
    relay = None
    try:
        from service.relays import access
    except ImportError:  # the relays' inbox is not part of this instance: no relay signs in
        access = None  # type: ignore[assignment]
    if access is not None and isinstance(held, dict):
        try:
            relay = access.signed_in_relay(db.session(), person.platform_id,
                                           int(held["relay_id"]), int(held["access_id"]))
        except (KeyError, TypeError, ValueError):
            relay = None
    if relay is None or person.user_id != f"relay:{relay.id}":
        session.clear()
        raise ServiceError("relay_access_ended", 401)
    return relay


def check_relay() -> None:
    """For pages any relay may read: a relay whose link ended is signed out."""
    if who().audience == "relay":
        signed_in_relay()
