"""An event as an iCalendar file (RFC 5545), written by hand: one VEVENT is a few lines, and
the rules that matter are few — CRLF line ends, TEXT escaping, folding at 75 octets, UTC times.

Times are given in UTC (``...Z``), which every calendar converts to its own zone, so the file
needs no VTIMEZONE block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from service.events.models import Event

PRODID = "-//Relais//Rendez-vous//FR"
# Control characters are not allowed in TEXT; tab is, and newlines are escaped below.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets (§3.1), never inside a UTF-8
    character; continuation lines start with one space."""
    parts: list[str] = []
    current, size, limit = [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space counts
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(event: Event, *, host: str, url: str = "", description: str = "",
             now: datetime | None = None) -> str:
    """A VCALENDAR with the one event; ``description`` is the text to show in the calendar
    (defaults to the event's own), ``url`` the page where the event is described."""
    lines: list[str] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        # Stable, so that adding the event twice updates it instead of doubling it.
        f"UID:relais-event-{event.id}@{host}",
        f"DTSTAMP:{utc(now or datetime.now(UTC))}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.title)}",
    ]
    if event.place:
        lines.append(f"LOCATION:{escape_text(event.place)}")
    text = description or event.description
    if text:
        lines.append(f"DESCRIPTION:{escape_text(text)}")
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return _join(fold(line) for line in lines)


def _join(lines: Iterable[str]) -> str:
    return "".join(f"{line}\r\n" for line in lines)
