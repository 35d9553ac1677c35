"""iCalendar (RFC 5545) export of planned interviews, written by hand.

A calendar is a few lines of text: ``VCALENDAR`` holding one ``VEVENT`` per event, with
CRLF line endings, content lines folded at 75 octets (a continuation line starts with a
space), and TEXT values escaped (backslash, semicolon, comma, newline). Times are written
in UTC (``19700101T000000Z`` form), so no ``VTIMEZONE`` block is needed. Pure functions on
plain values: the service gathers the bilan's steps and calls :func:`render_calendar`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Event",
    "escape_text",
    "fold_line",
    "format_duration",
    "format_utc",
    "render_calendar",
]

#: RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
MAX_OCTETS = 75
CRLF = "\r\n"
PRODID = "-//Boussole//Bilan de competences//FR"


@dataclass(frozen=True)
class Event:
    """One event: ``start`` must be timezone-aware (it is written in UTC)."""

    uid: str
    start: dt.datetime
    duration: dt.timedelta
    summary: str
    description: str | None = None
    location: str | None = None


def escape_text(value: str) -> str:
    r"""Escape a TEXT value (RFC 5545 §3.3.11).

    Examples
    --------
    >>> print(escape_text("Restitution; valeurs, intérêts\\fin\nsuite"))
    Restitution\; valeurs\, intérêts\\fin\nsuite
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str, *, limit: int = MAX_OCTETS) -> str:
    """Fold a content line into chunks of at most ``limit`` octets in UTF-8, never inside
    a multi-byte character; continuation lines start with one space (counted in the limit).

    Examples
    --------
    >>> folded = fold_line("SUMMARY:" + "é" * 40)
    >>> [len(part.encode("utf-8")) for part in folded.split("\\r\\n")]
    [74, 15]
    >>> parts = folded.split("\\r\\n")
    >>> parts[0] + "".join(p[1:] for p in parts[1:]) == "SUMMARY:" + "é" * 40
    True
    """
    parts: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def format_utc(moment: dt.datetime) -> str:
    """An aware datetime as a UTC DATE-TIME value.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> format_utc(dt.datetime(2026, 3, 31, 9, 30, tzinfo=ZoneInfo("Europe/Paris")))
    '20260331T073000Z'
    """
    if moment.tzinfo is None:
        raise ValueError("format_utc needs a timezone-aware datetime (got a naive one)")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def format_duration(duration: dt.timedelta) -> str:
    """A positive duration as a DURATION value (RFC 5545 §3.3.6).

    Examples
    --------
    >>> format_duration(dt.timedelta(hours=2))
    'PT2H'
    >>> format_duration(dt.timedelta(minutes=90))
    'PT1H30M'
    >>> format_duration(dt.timedelta(minutes=45))
    'PT45M'
    """
    minutes = int(duration.total_seconds() // 60)
    if minutes <= 0:
        raise ValueError(f"an event lasts at least one minute (got {duration})")
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def render_calendar(events: Sequence[Event], *, now: dt.datetime, name: str | None = None) -> bytes:
    """The calendar as UTF-8 bytes, ready to serve as ``text/calendar``.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> paris = ZoneInfo("Europe/Paris")
    >>> event = Event(
    ...     uid="bilan1-etape2@boussole",
    ...     start=dt.datetime(2026, 3, 16, 9, 30, tzinfo=paris),
    ...     duration=dt.timedelta(hours=2),
    ...     summary="Entretien de bilan de compétences",
    ... )
    >>> text = render_calendar([event], now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)).decode()
    >>> text.endswith("\\r\\n") and "\\n" not in text.replace("\\r\\n", "")
    True
    >>> print(text.replace("\\r\\n", "\\n"), end="")
    BEGIN:VCALENDAR
    VERSION:2.0
    PRODID:-//Boussole//Bilan de competences//FR
    CALSCALE:GREGORIAN
    METHOD:PUBLISH
    BEGIN:VEVENT
    UID:bilan1-etape2@boussole
    DTSTAMP:20260301T000000Z
    DTSTART:20260316T083000Z
    DURATION:PT2H
    SUMMARY:Entretien de bilan de compétences
    END:VEVENT
    END:VCALENDAR
    """
    stamp = format_utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{format_utc(event.start)}",
            f"DURATION:{format_duration(event.duration)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines).encode("utf-8")
