"""Help requests in numbers, for the admin's overview and the JSON API: counts and delays,
never a person. Counts come from the platform's requests created in a period; delays are
medians over the requests that reached that point."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.help.models import OPEN_STATUSES, STATUSES, HelpRequest, HelpRequestEvent
from service.privacy.models import as_utc, utcnow
from service.schools.models import School

# A new request nobody has picked up after this long is shown as waiting.
WAITING_AFTER = timedelta(days=7)
FINISHED = ("resolved", "closed")


@dataclass(frozen=True, slots=True)
class RequestStatistics:
    since: datetime
    until: datetime
    total: int
    by_status: dict[str, int]
    by_topic: dict[str, int]
    by_channel: dict[str, int]
    by_language: dict[str, int]
    by_origin: dict[str, int]
    by_school: dict[str, int]  # school name -> count; "" for requests without a school
    open: int
    waiting: int  # still "new" after WAITING_AFTER
    hours_to_first_contact: float | None
    hours_to_resolution: float | None
    contacted: int = 0  # how many the first-contact median is computed from
    finished: int = 0
    notes: list[str] = field(default_factory=list)


def request_statistics(db: Session, platform_id: int, since: datetime,
                       until: datetime | None = None, *, school_id: int | None = None,
                       now: datetime | None = None) -> RequestStatistics:
    """Counts and delays of the platform's requests created in ``[since, until)``."""
    now = now or utcnow()
    until = until or now
    query = select(HelpRequest.id, HelpRequest.created_at, HelpRequest.status,
                   HelpRequest.topic, HelpRequest.channel, HelpRequest.language,
                   HelpRequest.origin, HelpRequest.school_id).where(
        HelpRequest.platform_id == platform_id,
        HelpRequest.created_at >= since, HelpRequest.created_at < until)
    if school_id is not None:
        query = query.where(HelpRequest.school_id == school_id)
    rows = db.execute(query).all()
    names = {school_id: name for school_id, name in db.execute(
        select(School.id, School.name).where(School.platform_id == platform_id))}
    created = {r.id: as_utc(r.created_at) for r in rows}
    first_contact: dict[int, datetime] = {}
    finished_at: dict[int, datetime] = {}
    if created:
        moves = db.execute(
            select(HelpRequestEvent.request_id, HelpRequestEvent.at, HelpRequestEvent.from_status,
                   HelpRequestEvent.to_status)
            .where(HelpRequestEvent.platform_id == platform_id,
                   HelpRequestEvent.kind == "status",
                   HelpRequestEvent.request_id.in_(list(created)))
            .order_by(HelpRequestEvent.at)
        ).all()
        for move in moves:
            at = as_utc(move.at)
            if move.from_status == "new" and move.to_status != "cancelled":
                first_contact.setdefault(move.request_id, at)
            if move.to_status in FINISHED:
                finished_at.setdefault(move.request_id, at)
    return RequestStatistics(
        since=since,
        until=until,
        total=len(rows),
        by_status={s: n for s, n in _count(r.status for r in rows).items()},
        by_topic=_count(r.topic for r in rows),
        by_channel=_count(r.channel for r in rows),
        by_language=_count(r.language for r in rows),
        by_origin=_count(r.origin for r in rows),
        by_school=_count(names.get(r.school_id, "") if r.school_id else "" for r in rows),
        open=sum(1 for r in rows if r.status in OPEN_STATUSES),
        waiting=sum(1 for r in rows
                    if r.status == "new" and now - created[r.id] > WAITING_AFTER),
        hours_to_first_contact=_median_hours(created, first_contact),
        hours_to_resolution=_median_hours(created, finished_at),
        contacted=len(first_contact),
        finished=len(finished_at),
    )


def _count(values: object) -> dict[str, int]:
    counts = Counter(values)  # type: ignore[call-overload]
    ordered = [s for s in STATUSES if s in counts] + sorted(k for k in counts if k not in STATUSES)
    return {str(k): counts[k] for k in ordered}


def _median_hours(created: dict[int, datetime], reached: dict[int, datetime]) -> float | None:
    delays = [(reached[i] - created[i]).total_seconds() / 3600 for i in reached if i in created]
    return round(statistics.median(delays), 1) if delays else None
