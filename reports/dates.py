"""The one way a day is written in Boussole's pages and documents, through Babel: "2 mars
2026", "2 March 2026", and the first of the month as French writes it, "1er mars 2026"
(Babel's French pattern gives "1 mars"). :func:`service.dates.format_day` calls it for
the pages; the documents (synthesis, attendance certificate) call it directly."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

#: The pattern of a day, in every language ("d MMMM y").
DAY_PATTERN = "d MMMM y"
_FIRST_OF_MONTH_FR = "d'er' MMMM y"


def day_text(day: dt.date, lang: str) -> str:
    """A calendar day in ``lang`` (``fr``, ``en``, or a locale such as ``fr_FR``).

    Examples
    --------
    >>> day_text(dt.date(2026, 3, 1), "fr")
    '1er mars 2026'
    >>> day_text(dt.date(2026, 3, 21), "fr")
    '21 mars 2026'
    >>> day_text(dt.date(2026, 3, 1), "en")
    '1 March 2026'
    """
    language = lang.split("_")[0]
    pattern = _FIRST_OF_MONTH_FR if language == "fr" and day.day == 1 else DAY_PATTERN
    return str(format_date(day, format=pattern, locale=language))
