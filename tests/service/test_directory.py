"""Directory search: nearest relays with filters, locating a postcode or commune from the
platform's own places, opening hours in Paris time, map links; every query per platform."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service import db
from service.directory import labels
from service.directory.models import Relay
from service.directory.search import (
    PARIS,
    Place,
    commune_key,
    distance_km,
    locate,
    nearest,
    open_now,
)
from service.platforms.models import Platform
from service.schools.models import School
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mediation-num"
SHARED = Path(__file__).parents[3] / "shared" / "data" / "mediation-num"
REIMS = (49.2583, 4.0317)
MONDAY_10H = datetime(2025, 1, 6, 10, 0, tzinfo=PARIS)
MONDAY_13H = datetime(2025, 1, 6, 13, 0, tzinfo=PARIS)
HOURS = "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"


# --- helpers (also used by test_directory_import.py and test_directory_views.py) ---------------

def generator() -> ModuleType:
    """tests/fixtures/mediation-num/generate.py (its folder name is not a package name)."""
    name = "mediation_num_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / "generate.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while being defined
        spec.loader.exec_module(module)
    return sys.modules[name]


def platform_id(app: Flask, fake: FakePlatform) -> int:
    with app.app_context():
        found = db.session().scalar(select(Platform.id).where(Platform.issuer == fake.issuer))
        assert found is not None
        return found


def other_platform(app: Flask) -> FakePlatform:
    other = FakePlatform(issuer="https://ent-b.example.fr", client_id="relais-b", key_name="b")
    LaunchHelper(app).register(other, name="ENT B")
    return other


def add_relay(app: Flask, pid: int, name: str, lat: float | None, lon: float | None,
              **values: Any) -> int:
    columns: dict[str, Any] = {
        "kind": "structure", "postcode": "51100", "commune": "Reims", "commune_key": "reims",
        "address": "1 rue de Vesle", "opening_hours": HOURS, "phone": "+33326000000",
        **values,
    }
    with app.app_context(), db.transaction() as tx:
        relay = Relay(platform_id=pid, name=name, latitude=lat, longitude=lon, **columns)
        tx.add(relay)
    return relay.id


def add_school(app: Flask, pid: int, name: str, slug: str, lat: float | None = None,
               lon: float | None = None, **values: Any) -> School:
    with app.app_context(), db.transaction() as tx:
        school = School(platform_id=pid, name=name, slug=slug, latitude=lat, longitude=lon,
                        **{"postcode": "51100", "commune": "Reims", **values})
        tx.add(school)
    return school


def names(results: list[Any]) -> list[str]:
    return [r.name for r in results]


# --- nearest -----------------------------------------------------------------------------------

def test_nearest_sorts_by_distance_and_gives_kilometres(app: Flask, platform: FakePlatform):
    pid = platform_id(app, platform)
    add_relay(app, pid, "far", 49.30, 4.10)      # ~ 6.7 km
    add_relay(app, pid, "near", 49.259, 4.032)   # ~ 0.1 km
    add_relay(app, pid, "middle", 49.27, 4.05)   # ~ 1.8 km
    add_relay(app, pid, "nowhere", None, None)   # not located: never in a distance search
    with app.test_request_context():
        found = nearest(pid, lat=REIMS[0], lon=REIMS[1], at=MONDAY_10H)
    assert names(found) == ["near", "middle", "far"]
    assert found[0].distance_km == pytest.approx(0.1, abs=0.1)
    assert found[2].distance_km == pytest.approx(distance_km(*REIMS, 49.30, 4.10), abs=0.05)


def test_nearest_widens_the_search_until_it_has_enough(app: Flask, platform: FakePlatform):
    pid = platform_id(app, platform)
    add_relay(app, pid, "Reims", 49.26, 4.03)
    add_relay(app, pid, "Paris", 48.857, 2.35)            # ~ 130 km
    add_relay(app, pid, "Marseille", 43.30, 5.37)         # ~ 670 km: past every radius
    with app.test_request_context():
        assert names(nearest(pid, lat=REIMS[0], lon=REIMS[1], limit=3)) == [
            "Reims", "Paris", "Marseille"]
        assert names(nearest(pid, lat=REIMS[0], lon=REIMS[1], limit=1)) == ["Reims"]


def test_nearest_is_exact_at_the_edge_of_a_box(app: Flask, platform: FakePlatform):
    """A relay in the corner of the 5 km box but 6 km away must not beat one 5.5 km away
    straight north."""
    pid = platform_id(app, platform)
    lat, lon = REIMS
    add_relay(app, pid, "corner", lat + 0.0385, lon + 0.059)   # inside the box, ~6.1 km
    add_relay(app, pid, "north", lat + 0.0495, lon)            # outside the box, ~5.5 km
    with app.test_request_context():
        assert names(nearest(pid, lat=lat, lon=lon, limit=1)) == ["north"]


def test_filters(app: Flask, platform: FakePlatform):
    pid = platform_id(app, platform)
    lat, lon = REIMS
    add_relay(app, pid, "plain", lat, lon)
    add_relay(app, pid, "arabic", lat, lon + 0.001, languages="|ar|")
    add_relay(app, pid, "other languages", lat, lon + 0.002, languages="|xx|")
    add_relay(app, pid, "english", lat, lon + 0.003, languages="|en|")
    add_relay(app, pid, "free", lat, lon + 0.004, fees="free")
    add_relay(app, pid, "conditional", lat, lon + 0.005, fees="free_conditional")
    add_relay(app, pid, "family", lat, lon + 0.006, family=True)
    add_relay(app, pid, "accessible", lat, lon + 0.007, accessible=True)
    add_relay(app, pid, "parent", lat, lon + 0.008, kind="parent_ressource")
    add_relay(app, pid, "disabled", lat, lon, active=False)
    add_relay(app, pid, "no public", lat, lon, welcomes_public=False, access="|no_public|")
    with app.test_request_context():
        def find(**filters: Any) -> list[str]:
            return names(nearest(pid, lat=lat, lon=lon, **filters))

        assert "disabled" not in find() and "no public" not in find()
        assert len(find()) == 9
        assert find(languages=("ar",)) == ["arabic", "other languages"]
        assert find(languages=("en",)) == ["english"]  # "other languages" is not English
        assert find(languages=("fr",)) == find()  # French is spoken everywhere
        assert find(free_only=True) == ["free"]
        assert find(family=True) == ["family"]
        assert find(accessible=True) == ["accessible"]
        assert find(kinds=("parent_ressource", "mediateur")) == ["parent"]
        assert find(family=True, accessible=True) == []


def test_nearest_never_crosses_platforms(app: Flask, platform: FakePlatform):
    a = platform_id(app, platform)
    b = platform_id(app, other_platform(app))
    add_relay(app, a, "A's place", *REIMS)
    add_relay(app, b, "B's place", *REIMS)
    with app.test_request_context():
        assert names(nearest(a, lat=REIMS[0], lon=REIMS[1])) == ["A's place"]
        assert names(nearest(b, lat=REIMS[0], lon=REIMS[1])) == ["B's place"]


# --- opening hours -------------------------------------------------------------------------------

def test_open_now_in_paris_time():
    assert open_now(HOURS, MONDAY_10H) is True
    assert open_now(HOURS, MONDAY_13H) is False
    # 09:30 UTC is 10:30 in Paris in winter: open.
    assert open_now(HOURS, datetime.fromisoformat("2025-01-06T09:30:00+00:00")) is True
    # 08:30 UTC in summer is 10:30 in Paris: open; 07:30 UTC is 09:30 in Paris: still open.
    assert open_now("Mo-Fr 10:00-12:00", datetime.fromisoformat("2025-07-07T08:30:00+00:00"))
    assert not open_now("Mo-Fr 10:00-12:00", datetime.fromisoformat("2025-07-07T07:30:00+00:00"))
    # A public holiday (14 July) when the hours say "PH off".
    assert open_now("Mo-Fr 09:00-18:00; PH off", datetime(2025, 7, 14, 10, tzinfo=PARIS)) is False


@pytest.mark.parametrize("hours", ["", "le mardi matin", "Mo-Fr 25:00-26:00", "Mo-Fr 9h-12h",
                                   "<script>alert(1)</script>", "Mo-Su" * 200])
def test_hours_that_do_not_parse_are_unknown_never_a_crash(hours: str):
    assert open_now(hours, MONDAY_10H) is None


def test_readable_hours(app: Flask):
    with app.test_request_context():
        assert labels.next_change(HOURS, MONDAY_10H) == "jusqu'à 12:00"
        assert labels.next_change(HOURS, MONDAY_13H) == "ouvre à 14:00"
        assert labels.next_change(HOURS, datetime(2025, 1, 5, 10, tzinfo=PARIS)) == \
            "ouvre lundi à 09:00"
        days = labels.week(HOURS, MONDAY_10H)
        assert days is not None and len(days) == 7
        assert days[0] == ("lundi 6 janvier", ["09:00 – 12:00", "14:00 – 18:30"])
        assert days[6] == ("dimanche 12 janvier", [])
        assert labels.week("24/7", MONDAY_10H)[0][1] == ["00:00 – 24:00"]  # type: ignore[index]
        assert labels.week("le mardi matin", MONDAY_10H) is None


# --- locating what a parent typed ----------------------------------------------------------------

def test_commune_key_ignores_case_accents_hyphens_and_saint():
    assert commune_key("Saint-Étienne") == commune_key("saint etienne") == "saint etienne"
    assert commune_key("St Étienne") == "saint etienne"
    assert commune_key("  CHÂLONS-en-Champagne ") == "chalons en champagne"


def test_locate_a_postcode_a_commune_or_a_department(app: Flask, platform: FakePlatform):
    pid = platform_id(app, platform)
    add_relay(app, pid, "a", 49.25, 4.02)
    add_relay(app, pid, "b", 49.27, 4.04)
    add_relay(app, pid, "c", 49.04, 3.96, postcode="51200", commune="Épernay",
              commune_key="epernay")
    with app.test_request_context():
        by_postcode = locate(pid, "51100")
        assert by_postcode == Place(pytest.approx(49.26), pytest.approx(4.03),
                                    "Reims (51100)", "postcode")
        by_commune = locate(pid, "epernay")
        assert by_commune is not None and by_commune.label == "Épernay"
        assert by_commune.precision == "commune"
        assert locate(pid, "ÉPER") is not None  # the beginning of a name is enough
        both = locate(pid, "51999 Épernay")  # unknown postcode, known commune
        assert both is not None and both.label == "Épernay"
        department = locate(pid, "51999")
        assert department is not None and department.precision == "department"
        assert department.label == "51"
        assert locate(pid, "51") == department
        assert locate(pid, "75011") is None
        assert locate(pid, "Lyon") is None
        assert locate(pid, "") is None
        assert locate(pid, "%") is None or locate(pid, "%").precision == "commune"


def test_locate_uses_schools_too_and_only_the_platform_s_places(app: Flask,
                                                                 platform: FakePlatform):
    a = platform_id(app, platform)
    b = platform_id(app, other_platform(app))
    add_relay(app, b, "B's place in Lyon", 45.76, 4.84, postcode="69008", commune="Lyon",
              commune_key="lyon")
    with app.test_request_context():
        assert locate(a, "69008") is None and locate(a, "Lyon") is None
    add_school(app, a, "Collège Lumière", "lumiere1", 45.74, 4.87, postcode="69008",
               commune="Lyon")
    with app.test_request_context():
        place = locate(a, "69008")
        assert place is not None and place.latitude == pytest.approx(45.74)
        place = locate(a, "lyon")
        assert place is not None and place.longitude == pytest.approx(4.87)


def test_map_and_phone_links(app: Flask, platform: FakePlatform):
    pid = platform_id(app, platform)
    add_relay(app, pid, "Maison de quartier Orgeval", 49.2583, 4.0317)
    with app.test_request_context():
        (found,) = nearest(pid, lat=49.2583, lon=4.0317)
    assert found.osm_url == ("https://www.openstreetmap.org/?mlat=49.25830&mlon=4.03170"
                             "#map=17/49.25830/4.03170")
    assert found.geo_uri == ("geo:49.25830,4.03170?q=49.25830,4.03170"
                             "(Maison%20de%20quartier%20Orgeval)")
    assert found.tel_uri == "tel:+33326000000"
    assert labels.phone_display("+33326000000") == "03 26 00 00 00"
    assert labels.phone_display("+262262123456").startswith("+262")
