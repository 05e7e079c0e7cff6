"""Plain words for what the directory stores as codes, and readable opening hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import phonenumbers
from babel import Locale
from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from opening_hours import State

from service.directory.models import OTHER_LANGUAGES
from service.directory.search import PARIS, _paris, _parsed_hours

KINDS = {
    "parent_ressource": _l("Parent ressource"),
    "mediateur": _l("Médiateur ou médiatrice numérique"),
    "structure": _l("Lieu d'aide au numérique"),
}
ACCESS = {
    "walk_in": _l("Vous pouvez venir sans rendez-vous"),
    "phone": _l("Appelez avant de venir"),
    "appointment": _l("Sur rendez-vous"),
    "email": _l("Écrivez avant de venir"),
    "referral": _l("Sur demande d'un ou d'une professionnelle (assistante sociale, école...)"),
    "no_public": _l("N'accueille pas de public"),
}
FEES = {
    "free": _l("Gratuit"),
    "free_conditional": _l("Gratuit sous conditions"),
    "paid": _l("Payant"),
}
# Languages a parent may look for, besides French (names come from Babel, in the page's own
# language).
SEARCH_LANGUAGES = ("ar", "en", "es", "pt", "tr", "ro", "ru", "uk", "zh")


def language_name(code: str) -> str:
    if code == OTHER_LANGUAGES:
        return str(_l("d'autres langues"))
    locale = Locale.parse(str(get_locale() or "fr"))
    return str(locale.languages.get(code, code))


def language_list(codes: tuple[str, ...]) -> str:
    return ", ".join(language_name(code) for code in codes)


def phone_display(phone: str) -> str:
    """``+33180059880`` -> ``01 80 05 98 80`` (international form for other countries)."""
    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return phone
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def _locale() -> str:
    return str(get_locale() or "fr")


def next_change(hours: str, at: datetime | None = None) -> str:
    """``"jusqu'à 12:00"`` or ``"ouvre lundi à 09:00"``; "" when unknown."""
    parsed = _parsed_hours(hours) if hours else None
    if parsed is None:
        return ""
    moment = _paris(at)
    try:
        is_open = parsed.is_open(moment)
        change = parsed.next_change(moment)
    except Exception:
        return ""
    if change is None:
        return ""
    change = change.astimezone(PARIS) if change.tzinfo else change.replace(tzinfo=PARIS)
    clock = format_time(change, "HH:mm", locale=_locale())
    if is_open:
        return str(_l("jusqu'à %(time)s", time=clock))
    if change.date() == moment.date():
        return str(_l("ouvre à %(time)s", time=clock))
    if change - moment > timedelta(days=6):
        return ""
    day = format_date(change.date(), "EEEE", locale=_locale())
    return str(_l("ouvre %(day)s à %(time)s", day=day, time=clock))


def week(hours: str, at: datetime | None = None) -> list[tuple[str, list[str]]] | None:
    """The next seven days, day by day: ``[("lundi", ["09:00 – 12:00", ...]), ...]``; days
    without an opening say so by an empty list. None when the hours do not parse."""
    parsed = _parsed_hours(hours) if hours else None
    if parsed is None:
        return None
    moment = _paris(at)
    start = datetime.combine(moment.date(), time(0), tzinfo=PARIS)
    days: list[tuple[str, list[str]]] = []
    try:
        for offset in range(7):
            day_start = start + timedelta(days=offset)
            day_end = day_start + timedelta(days=1)
            ranges = []
            for begin, end, state, _comment in parsed.intervals(day_start, day_end):
                if state == State.OPEN and end is not None:
                    ranges.append(f"{_clock(begin)} – {_clock(end, closing=True)}")
            days.append((format_date(day_start.date(), "EEEE d MMMM", locale=_locale()), ranges))
    except Exception:
        return None
    return days


def _clock(moment: datetime, *, closing: bool = False) -> str:
    moment = moment.astimezone(PARIS) if moment.tzinfo else moment.replace(tzinfo=PARIS)
    if closing and moment.hour == 0 and moment.minute == 0:
        return "24:00"
    return format_time(moment, "HH:mm", locale=_locale())
