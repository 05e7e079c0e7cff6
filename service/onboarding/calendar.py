"""The key dates of the school year, as periods and as an ``.ics`` file a phone's calendar opens.

The national calendar moves a little each year and each académie sets its own days, so the
periods are the usual ones and the file says that the school gives the exact dates. Each period
is given at its next occurrence: a date already past this year comes for next year.
The words (what, when) come from the dates step's content file, in the parent's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from service.events.ics import escape_text, fold, utc

PRODID = "-//Relais//Pas a pas//FR"

# key -> (first day, last day), each (years after the school year's start, month, day).
KEY_DATES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "bourse": ((0, 9, 1), (0, 10, 15)),
    "parcoursup": ((1, 1, 15), (1, 3, 15)),
    "orientation": ((1, 2, 1), (1, 3, 31)),
    "affelnet": ((1, 5, 1), (1, 5, 31)),
}


class Described(Protocol):
    key: str
    when: str
    what: str


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    first: date
    last: date


def school_year_start(today: date) -> int:
    """The year the current school year began (it turns in July, after Affelnet)."""
    return today.year if today.month >= 7 else today.year - 1


def next_period(key: str, today: date) -> Period:
    """The period ``key`` at its next occurrence: this school year's, unless it is over."""
    (y1, m1, d1), (y2, m2, d2) = KEY_DATES[key]
    start = school_year_start(today)
    for year in (start, start + 1):
        last = date(year + y2, m2, d2)
        if last >= today:
            return Period(key, date(year + y1, m1, d1), last)
    raise AssertionError("unreachable: next year's period always ends after today")


def ics(dates: Iterable[Described], *, today: date, host: str, note: str,
        now: datetime | None = None) -> str:
    """A VCALENDAR with one all-day event per key date. ``note`` (translated by the caller)
    is added to each description: the school gives the exact dates."""
    stamp = utc(now or datetime.now(UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    for item in dates:
        period = next_period(item.key, today)
        lines += [
            "BEGIN:VEVENT",
            # Stable per period: importing the file twice updates the events, never doubles them.
            f"UID:relais-dates-{item.key}-{period.first.year}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{period.first:%Y%m%d}",
            f"DTEND;VALUE=DATE:{period.last + timedelta(days=1):%Y%m%d}",  # the day after
            f"SUMMARY:{escape_text(item.what)}",
            f"DESCRIPTION:{escape_text(f'{item.when}. {note}')}",
            "TRANSP:TRANSPARENT",  # a reminder, not a busy slot
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in lines)
