"""The sandbox's school and two events in the coming weeks, so a newcomer sees a living page.

Idempotent: run at every sandbox start; events are added again only once the last ones are over.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from service import db
from service.events.dates import PARIS
from service.events.models import Event
from service.events.services import create_event
from service.schools.models import School
from service.schools.services import ensure_school

DEMO_SLUG = "jmoulin"
DEMO_SCHOOL = {
    "name": "Collège Jean Moulin",
    "address": "12 rue du Bac-à-Sable",  # a demo school: no real address
    "postcode": "69008",
    "commune": "Lyon",
    "latitude": 45.7370,
    "longitude": 4.8694,
    "contact_name": "Vie scolaire",
    "contact_phone": "04 65 71 00 00",  # in the range ARCEP reserves for fiction
}


def _next(weekday: int, after: datetime, at: time) -> datetime:
    """The first ``weekday`` (0 = Monday) strictly after ``after``'s day, at ``at`` in Paris."""
    day = after.astimezone(PARIS).date() + timedelta(days=1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(UTC)


def _events(school_id: int, now: datetime) -> list[dict[str, object]]:
    cafe = _next(3, now + timedelta(days=6), time(8, 30))  # a Thursday, after drop-off
    fete = _next(5, now + timedelta(days=20), time(10, 0))  # a Saturday morning
    return [
        {
            "title": "Café des parents : les écrans pendant les vacances",
            "kind": "cafe_parents",
            "starts_at": cafe,
            "ends_at": cafe + timedelta(hours=1, minutes=30),
            "place": "Salle polyvalente du collège, entrée par la cour",
            "languages": ["fr", "ar"],
            "description": "Un café, des parents, et une question : que proposer d'autre que "
            "les écrans pendant les vacances ? Des idées de jeux et de sorties, et de l'aide "
            "pour l'application de l'ENT si vous le souhaitez.",
            "school_id": school_id,
        },
        {
            "title": "Stand numérique à la fête du collège",
            "kind": "stand_numerique",
            "starts_at": fete,
            "ends_at": fete + timedelta(hours=3),
            "place": "Cour du collège, près de la buvette",
            "languages": ["fr", "ar", "pt", "tr"],
            "description": "Des parents ressource vous aident à installer l'application de "
            "l'ENT et à vous connecter pour la première fois. Apportez votre téléphone.",
            "school_id": school_id,
        },
    ]


def seed_sandbox(platform_id: int, now: datetime | None = None) -> School:
    """The demo school of the sandbox platform, with its two upcoming events."""
    now = now or datetime.now(UTC)
    school = ensure_school(platform_id, DEMO_SCHOOL, slug=DEMO_SLUG)
    for data in _events(school.id, now):
        exists = db.session().scalar(
            select(Event.id).where(
                Event.platform_id == platform_id,
                Event.school_id == school.id,
                Event.title == data["title"],
                Event.ends_at > now,
            )
        )
        if exists is None:
            create_event(platform_id, data, created_by="sandbox")
    return school
