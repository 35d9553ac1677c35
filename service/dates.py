"""Time, written once: the centre's time zone (Paris), "today" there, the conversions
between what a form shows (Paris wall-clock time) and what is stored (aware UTC, through
:class:`service.models.types.UTCDateTime`), month arithmetic (``dateutil``) and the one
way a day is written (:func:`format_day`, the ``date`` filter of the templates)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date
from dateutil.relativedelta import relativedelta
from flask_babel import get_locale

from reports.dates import day_text

PARIS = ZoneInfo("Europe/Paris")
"""The time zone of every date shown, typed or counted in days (interviews, follow-up)."""


def utcnow() -> dt.datetime:
    """Now, as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def paris_today() -> dt.date:
    """Today's date in Paris."""
    return utcnow().astimezone(PARIS).date()


def paris_date(moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` in Paris.

    >>> paris_date(dt.datetime(2026, 8, 31, 22, 30, tzinfo=dt.UTC))  # 00:30 in Paris
    datetime.date(2026, 9, 1)
    """
    return moment.astimezone(PARIS).date()


def paris_to_utc(day: dt.date, at: dt.time) -> dt.datetime:
    """A Paris wall-clock time as an aware UTC datetime (summer time handled).

    >>> paris_to_utc(dt.date(2026, 3, 16), dt.time(9, 30)).isoformat()
    '2026-03-16T08:30:00+00:00'
    >>> paris_to_utc(dt.date(2026, 3, 31), dt.time(9, 30)).isoformat()
    '2026-03-31T07:30:00+00:00'
    """
    return dt.datetime.combine(day, at, tzinfo=PARIS).astimezone(dt.UTC)


def paris_time_of(moment: dt.datetime) -> dt.time:
    """The Paris wall-clock time, to the minute, of an aware datetime.

    >>> paris_time_of(dt.datetime(2026, 7, 1, 7, 30, 12, tzinfo=dt.UTC))
    datetime.time(9, 30)
    """
    return moment.astimezone(PARIS).time().replace(second=0, microsecond=0)


def from_form(local: dt.datetime | None) -> dt.datetime | None:
    """A naive date and time typed in a form (Paris time) as an aware UTC datetime.

    >>> from_form(dt.datetime(2026, 12, 2, 14, 0)).isoformat()
    '2026-12-02T13:00:00+00:00'
    """
    if local is None:
        return None
    return local.replace(tzinfo=PARIS).astimezone(dt.UTC)


def to_form(moment: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime as the naive Paris time a ``datetime-local`` input shows.

    >>> to_form(dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.UTC))
    datetime.datetime(2026, 12, 2, 14, 0)
    """
    if moment is None:
        return None
    return moment.astimezone(PARIS).replace(tzinfo=None)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, on the month's last day when that month is shorter.

    >>> add_months(dt.date(2026, 3, 16), 3)
    datetime.date(2026, 6, 16)
    >>> add_months(dt.date(2026, 8, 31), 6)  # February 2027 has 28 days
    datetime.date(2027, 2, 28)
    >>> add_months(dt.date(2027, 8, 31), 6)  # 2028 is a leap year
    datetime.date(2028, 2, 29)
    >>> add_months(dt.date(2026, 10, 31), 6)  # April has 30 days
    datetime.date(2027, 4, 30)
    >>> add_months(dt.date(2026, 7, 31), 6)  # across the year, January has 31 days
    datetime.date(2027, 1, 31)
    >>> add_months(dt.date(2027, 2, 28), -6)
    datetime.date(2026, 8, 28)
    """
    moved: dt.date = day + relativedelta(months=months)
    return moved


def format_day(day: dt.date | dt.datetime, lang: str | None = None) -> str:
    """A day as every page writes it (:func:`reports.dates.day_text`: "1er mars 2026",
    "2 mars 2026", "1 March 2026"); an aware datetime counts as its day
    in Paris. ``lang``: by default the language of the messages being written (Flask-Babel's
    locale: the page's, French outside a request).

    >>> format_day(dt.date(2026, 3, 1))
    '1er mars 2026'
    >>> format_day(dt.date(2026, 3, 2))
    '2 mars 2026'
    >>> format_day(dt.date(2026, 3, 1), "en")
    '1 March 2026'
    >>> format_day(dt.datetime(2026, 8, 31, 22, 30, tzinfo=dt.UTC))  # 00:30 in Paris
    '1er septembre 2026'
    """
    if isinstance(day, dt.datetime):
        day = paris_date(day) if day.tzinfo is not None else day.date()
    return day_text(day, lang or _messages_language())


def format_month(moment: dt.date | dt.datetime, lang: str | None = None) -> str:
    """A month as the pages write it ("mars 2026", "March 2026"), like :func:`format_day`.

    >>> format_month(dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC))  # March in Paris
    'mars 2026'
    """
    if isinstance(moment, dt.datetime):
        moment = paris_date(moment) if moment.tzinfo is not None else moment.date()
    language = (lang or _messages_language()).split("_")[0]
    return str(format_date(moment, format="MMMM y", locale=language))


def _messages_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "fr"
