"""Finding relays near a family, fast at national scale, with no network service.

``nearest`` widens a bounding box around the point (an indexed latitude range of the
platform, then the longitude) until it holds enough relays, measures the exact great-circle
distance in Python and keeps the closest: a few hundred rows read, whatever the directory's
size, on SQLite and PostgreSQL alike, with no extension.

``locate`` turns a postcode or a commune typed by a parent into a point. No offline package
carries French postcodes with coordinates at a reasonable cost (the one found loads 2 GB of
world data per process), so the point comes from the platform's own places: the centre of its
relays and schools with that postcode, else that commune, else that département. The result
says how precise it is, so the page can say "près de Reims" rather than pretend to know the
street.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import opening_hours
from sqlalchemy import ColumnElement, and_, func, or_, select

from service import db
from service.directory.models import OTHER_LANGUAGES, Relay, split_values

PARIS = ZoneInfo("Europe/Paris")
EARTH_KM = 6371.0088
KM_PER_DEGREE = 111.32
# The search starts with a small box (in a city, 2 km already holds dozens of places) and
# widens it as the density found suggests; past the last radius the whole platform is read.
FIRST_RADIUS_KM = 2.0
LAST_RADIUS_KM = 1000.0
# Places in a box are checked against the filters by id, closest first, CHUNK at a time;
# past CROWDED unchecked places, the database filters the whole box instead.
CHUNK = 200
CROWDED = 5000

__all__ = [
    "Place",
    "RelayResult",
    "commune_key",
    "distance_km",
    "locate",
    "nearest",
    "open_now",
    "relay_result",
]


@dataclass(frozen=True, slots=True)
class Place:
    """A point and what it stands for. ``precision``: ``exact`` (coordinates given),
    ``postcode``, ``commune`` or ``department`` (the centre of the platform's places there)."""

    latitude: float
    longitude: float
    label: str
    precision: str = "exact"


@dataclass(frozen=True, slots=True)
class RelayResult:
    """A relay as a parent sees it, with its distance from the searched point."""

    id: int
    kind: str
    name: str
    address: str
    postcode: str
    commune: str
    latitude: float | None
    longitude: float | None
    distance_km: float | None
    phone: str
    email: str
    website: str
    opening_hours: str
    open_now: bool | None  # None: no hours, or hours that do not parse (shown as text)
    access: tuple[str, ...]
    appointment_url: str
    languages: tuple[str, ...]
    fees: str
    family: bool
    accessible: bool
    accessibility_url: str
    summary: str
    active: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def osm_url(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        lat, lon = f"{self.latitude:.5f}", f"{self.longitude:.5f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"

    @property
    def geo_uri(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        label = quote(self.name, safe="")
        return f"geo:{self.latitude:.5f},{self.longitude:.5f}?q={self.latitude:.5f}," \
               f"{self.longitude:.5f}({label})"

    @property
    def tel_uri(self) -> str | None:
        return f"tel:{self.phone}" if self.phone else None


@lru_cache(maxsize=65536)
def commune_key(name: str) -> str:
    """``"Saint-Étienne"`` and ``"saint etienne"`` -> ``"saint etienne"``; ``"St Denis"`` ->
    ``"saint denis"``."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"\b(ste)\b", "sainte", text)
    return re.sub(r"\b(st)\b", "saint", text)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=4096)
def _parsed_hours(text: str) -> opening_hours.OpeningHours | None:
    try:
        return opening_hours.OpeningHours(text, timezone=PARIS, country="FR")
    except Exception:  # ParserError, and anything a malformed string may raise
        return None


def open_now(hours: str, at: datetime | None = None) -> bool | None:
    """Whether a place is open at ``at`` (default: now), in Europe/Paris time.

    ``None`` when there are no hours, they do not parse, or the state is unknown."""
    if not hours:
        return None
    parsed = _parsed_hours(hours)
    if parsed is None:
        return None
    moment = _paris(at)
    try:
        if parsed.is_unknown(moment):
            return None
        return bool(parsed.is_open(moment))
    except Exception:
        return None


def _paris(at: datetime | None) -> datetime:
    """``at`` (default: now) as a Europe/Paris time; a naive time is taken as Paris time.
    (The parser wants a ZoneInfo: a fixed-offset datetime is converted first.)"""
    if at is None:
        return datetime.now(PARIS)
    if at.tzinfo is None:
        return at.replace(tzinfo=PARIS)
    return at.astimezone(PARIS)


def _filters(*, languages: Sequence[str], free_only: bool, family: bool,
             accessible: bool, kinds: Iterable[str] | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        Relay.active.is_(True),
        Relay.welcomes_public.is_(True),
    ]
    if kinds:
        clauses.append(Relay.kind.in_(list(kinds)))
    if free_only:
        clauses.append(Relay.fees == "free")
    if family:
        clauses.append(Relay.family.is_(True))
    if accessible:
        clauses.append(Relay.accessible.is_(True))
    wanted = [code for code in languages if code and code != "fr"]
    if wanted:
        options = [Relay.languages.like(f"%|{code}|%") for code in wanted]
        # "other foreign languages" in the open data may be the one asked for (not English).
        if any(code != "en" for code in wanted):
            options.append(Relay.languages.like(f"%|{OTHER_LANGUAGES}|%"))
        clauses.append(or_(*options))
    return clauses


def nearest(platform_id: int, *, lat: float, lon: float, limit: int = 20,
            languages: Sequence[str] = (), free_only: bool = False, family: bool = False,
            accessible: bool = False, kinds: Iterable[str] | None = None,
            at: datetime | None = None) -> list[RelayResult]:
    """The ``limit`` active relays of ``platform_id`` closest to (lat, lon), closest first.

    Relays without coordinates, disabled ones and places that receive no public are left out.
    ``languages``: relays speaking any of them. ``at``: the moment "open now" is computed for.
    """
    clauses = _filters(languages=languages, free_only=free_only, family=family,
                       accessible=accessible, kinds=kinds)
    mine = Relay.platform_id == platform_id
    # For lookups by id: the same tenancy check, written so that no index serves it (SQLite
    # would otherwise scan the platform's index rather than fetch a few rows by key).
    mine_by_id = (Relay.platform_id + 0) == platform_id
    session = db.session()
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    passes: dict[int, bool] = {}  # relay id -> whether it passes the filters
    best: list[tuple[float, int]] = []
    radius = FIRST_RADIUS_KM
    while radius <= LAST_RADIUS_KM:
        dlat = radius / KM_PER_DEGREE
        dlon = radius / (KM_PER_DEGREE * cos_lat)
        box = (Relay.latitude.between(lat - dlat, lat + dlat),
               Relay.longitude.between(lon - dlon, lon + dlon))
        # Read from the (platform_id, latitude, longitude) index alone: no table row is touched.
        rows = session.execute(
            select(Relay.id, Relay.latitude, Relay.longitude)
            .where(mine, *box)
        ).all()
        # Only what lies inside the circle is certainly closer than anything outside the box.
        inside = sorted(
            m for m in ((distance_km(lat, lon, r_lat, r_lon), rid) for rid, r_lat, r_lon in rows)
            if m[0] <= radius
        )
        if sum(1 for _d, rid in inside if rid not in passes) > CROWDED:
            # Many places and maybe a rare filter: let the database filter the box whole.
            kept = set(session.scalars(select(Relay.id).where(mine, *clauses, *box)))
            passes.update((rid, rid in kept) for _d, rid in inside)
        best = _closest_passing(session, inside, passes, limit,
                                [mine_by_id, *clauses])
        if len(best) >= limit:
            break
        # Widen as the density seen so far suggests (area grows with the square of the radius).
        growth = 4.0 if not best else min(4.0, max(1.5, 1.2 * math.sqrt(limit / len(best))))
        radius *= growth
    else:  # still not enough within LAST_RADIUS_KM: the whole platform
        rows = session.execute(
            select(Relay.id, Relay.latitude, Relay.longitude)
            .where(mine, *clauses, Relay.latitude.is_not(None), Relay.longitude.is_not(None))
        ).all()
        best = sorted((distance_km(lat, lon, r_lat, r_lon), rid)
                      for rid, r_lat, r_lon in rows)[:limit]
    if not best:
        return []
    relays = {r.id: r for r in session.scalars(
        select(Relay).where(mine_by_id, Relay.id.in_([rid for _d, rid in best])))}
    return [relay_result(relays[rid], distance, at=at) for distance, rid in best]


def _closest_passing(session: Any, inside: list[tuple[float, int]], passes: dict[int, bool],
                     limit: int, where: list[ColumnElement[bool]]) -> list[tuple[float, int]]:
    """The first ``limit`` of ``inside`` (sorted by distance) that pass the filters, checking
    unknown ids by key, closest first, a chunk at a time."""
    best: list[tuple[float, int]] = []
    position = 0
    while len(best) < limit and position < len(inside):
        chunk = [rid for _d, rid in inside[position:position + CHUNK] if rid not in passes]
        if chunk:
            kept = set(session.scalars(select(Relay.id).where(*where, Relay.id.in_(chunk))))
            passes.update((rid, rid in kept) for rid in chunk)
        best.extend(m for m in inside[position:position + CHUNK] if passes[m[1]])
        position += CHUNK
    return best[:limit]


def relay_result(relay: Relay, distance: float | None = None, *,
                 at: datetime | None = None) -> RelayResult:
    return RelayResult(
        id=relay.id,
        kind=relay.kind,
        name=relay.name,
        address=relay.address,
        postcode=relay.postcode,
        commune=relay.commune,
        latitude=relay.latitude,
        longitude=relay.longitude,
        distance_km=None if distance is None else round(distance, 1),
        phone=relay.phone,
        email=relay.email,
        website=relay.website,
        opening_hours=relay.opening_hours,
        open_now=open_now(relay.opening_hours, at),
        access=split_values(relay.access),
        appointment_url=relay.appointment_url,
        languages=split_values(relay.languages),
        fees=relay.fees,
        family=relay.family,
        accessible=relay.accessible,
        accessibility_url=relay.accessibility_url,
        summary=relay.summary,
        active=relay.active,
    )


_POSTCODE = re.compile(r"\b(\d{5})\b")
_DEPARTMENT = re.compile(r"^\s*(\d{2}|2[ab]|97\d)\s*$", re.IGNORECASE)


def _starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column LIKE 'prefix%'`` as a range, which an index serves on SQLite too (its LIKE is
    case-insensitive and so cannot use a plain index)."""
    following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < following)


def _centre(platform_id: int, *, postcode: str | None = None, prefix: str | None = None,
            key: str | None = None, key_prefix: str | None = None
            ) -> tuple[float, float] | None:
    """The mean point of the platform's located relays matching one criterion, and of its
    schools for a postcode criterion (schools have no commune key)."""
    from service.schools.models import School

    conditions: list[tuple[type[Relay] | type[School], ColumnElement[bool]]] = []
    if postcode is not None:
        conditions = [(Relay, Relay.postcode == postcode), (School, School.postcode == postcode)]
    elif prefix is not None:
        conditions = [(Relay, _starts_with(Relay.postcode, prefix)),
                      (School, _starts_with(School.postcode, prefix))]
    elif key is not None:
        conditions = [(Relay, Relay.commune_key == key)]
    elif key_prefix is not None:
        conditions = [(Relay, _starts_with(Relay.commune_key, key_prefix))]
    total_lat = total_lon = 0.0
    count = 0
    for model, condition in conditions:
        # AVG and COUNT(column) skip places without coordinates (stored both or neither); an
        # "IS NOT NULL" here would lead SQLite to the latitude index and a scan of everything.
        mean_lat, mean_lon, n = db.session().execute(
            select(func.avg(model.latitude), func.avg(model.longitude),
                   func.count(model.latitude))
            .where(model.platform_id == platform_id, condition)
        ).one()
        if n:
            total_lat += float(mean_lat) * n
            total_lon += float(mean_lon) * n
            count += n
    if not count:
        return None
    return total_lat / count, total_lon / count


def _most_common_commune(platform_id: int, postcode: str) -> str:
    row = db.session().execute(
        select(Relay.commune, func.count().label("n"))
        .where(Relay.platform_id == platform_id, Relay.postcode == postcode)
        .group_by(Relay.commune)
        .order_by(func.count().desc(), Relay.commune)
        .limit(1)
    ).first()
    return str(row[0]) if row else ""


def locate(platform_id: int, text: str) -> Place | None:
    """What a parent typed -- ``"51100"``, ``"Reims"``, ``"51100 Reims"``, ``"51"`` -> a point
    from the platform's own places, or None when nothing matches. Never calls a network
    service."""
    text = (text or "").strip()[:120]
    if not text:
        return None
    postcode_match = _POSTCODE.search(text)
    if postcode_match:
        postcode = postcode_match.group(1)
        found = _centre(platform_id, postcode=postcode)
        if found:
            commune = _most_common_commune(platform_id, postcode)
            label = f"{commune} ({postcode})" if commune else postcode
            return Place(found[0], found[1], label, "postcode")
        rest = commune_key(text.replace(postcode, " "))
        if rest:
            place = _by_commune(platform_id, rest)
            if place:
                return place
        return _by_department(platform_id, _department_of(postcode))
    department = _DEPARTMENT.match(text)
    if department:
        return _by_department(platform_id, department.group(1).upper())
    key = commune_key(text)
    return _by_commune(platform_id, key) if key else None


def _by_commune(platform_id: int, key: str) -> Place | None:
    for exact in (True, False):
        found = _centre(platform_id, key=key) if exact else _centre(platform_id, key_prefix=key)
        if found:
            condition = (Relay.commune_key == key if exact
                         else _starts_with(Relay.commune_key, key))
            name = db.session().scalar(
                select(Relay.commune).where(Relay.platform_id == platform_id, condition)
                .order_by(Relay.commune).limit(1)
            )
            return Place(found[0], found[1], name or key, "commune")
    # Schools carry a commune name but no key: compare their names the same way.
    from service.schools.models import School

    for school in db.session().scalars(
        select(School).where(School.platform_id == platform_id, School.latitude.is_not(None))
    ):
        if commune_key(school.commune) == key and school.longitude is not None:
            assert school.latitude is not None
            return Place(school.latitude, school.longitude, school.commune, "commune")
    return None


def _department_of(postcode: str) -> str:
    if postcode.startswith("97"):
        return postcode[:3]
    return postcode[:2]


def _by_department(platform_id: int, department: str) -> Place | None:
    prefix = "20" if department in ("2A", "2B") else department
    if not prefix.isdigit():
        return None
    found = _centre(platform_id, prefix=prefix)
    if not found:
        return None
    return Place(found[0], found[1], department, "department")
