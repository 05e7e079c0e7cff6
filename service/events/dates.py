"""Event dates in plain words: « samedi 12 décembre, de 10 h à 12 h ».

Times are stored in UTC and shown in Europe/Paris, the time of the schools Relais serves.
French gets its everyday form (« 10 h 30 », « 1er mars »); other languages get their own
date pattern from the CLDR (via Babel), with the year only when it is not this year.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from flask_babel import gettext as _

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"

_YEAR = re.compile(r"(\s*'[^']*')?[\s,،]*y+")


def local(moment: datetime) -> datetime:
    """``moment`` as a wall-clock time in Paris."""
    return moment.astimezone(PARIS)


def day_label(day: date, locale: str, *, with_year: bool = False) -> str:
    """« samedi 12 décembre » (« … 2027 » with the year)."""
    pattern = Locale.parse(locale).date_formats["full"].pattern
    if not with_year:
        pattern = _YEAR.sub("", pattern).strip()
    if locale.startswith("fr") and day.day == 1:
        pattern = pattern.replace("d ", "d'er' ", 1)
    return format_date(day, pattern, locale=locale)


def time_label(moment: datetime, locale: str) -> str:
    """« 10 h », « 10 h 30 » in French; the locale's short time otherwise."""
    if locale.startswith("fr"):
        minutes = f"{NBSP}{moment.minute:02d}" if moment.minute else ""
        return f"{moment.hour}{NBSP}h{minutes}"
    return format_time(moment.time(), "short", locale=locale)


_SAME_DAY = "%(day)s, de %(start)s à %(end)s"


def _sentence_locale(locale: str) -> str:
    """The page's language if the sentence around the date is translated into it, else
    French: never « Thursday, December 10, de 8:30 AM à 10:00 AM »."""
    if locale.startswith("fr") or _("%(day)s, de %(start)s à %(end)s") != _SAME_DAY:
        return locale
    return "fr"


def when(starts_at: datetime, ends_at: datetime, locale: str = "fr",
         now: datetime | None = None) -> str:
    """The event's date and hours in one plain sentence, in Paris time."""
    locale = _sentence_locale(locale)
    start, end = local(starts_at), local(ends_at)
    this_year = local(now or datetime.now(UTC)).year
    if start.date() == end.date():
        return _(
            "%(day)s, de %(start)s à %(end)s",
            day=day_label(start.date(), locale, with_year=start.year != this_year),
            start=time_label(start, locale),
            end=time_label(end, locale),
        )
    return _(
        "du %(start_day)s à %(start)s au %(end_day)s à %(end)s",
        start_day=day_label(start.date(), locale, with_year=start.year != this_year),
        start=time_label(start, locale),
        end_day=day_label(end.date(), locale, with_year=end.year != this_year),
        end=time_label(end, locale),
    )


def parse_local(text: str) -> datetime:
    """An aware datetime from ISO 8601 text; without an offset, it is a time in Paris.

    Accepts « 2025-12-12T10:00 », « 2025-12-12 10:00 », « 12/12/2025 10:00 » and ISO with an
    offset (« 2025-12-12T10:00+01:00 »). Raises ``ValueError`` otherwise.
    """
    text = text.strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2})[:h](\d{2})", text)
    if match:
        d, m, y, hh, mm = map(int, match.groups())
        moment = datetime(y, m, d, hh, mm)
    else:
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC)


def input_value(moment: datetime) -> str:
    """The value of a ``datetime-local`` input: Paris time, to the minute."""
    return local(moment).strftime("%Y-%m-%dT%H:%M")
