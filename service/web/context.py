"""Small request-level helpers shared by the blueprints (language, installed instruments,
the template filters that depend on the request's language)."""

from __future__ import annotations

import datetime as dt

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import get_locale

from instruments.model import Instrument
from service.dates import format_day


def request_lang() -> str:
    """The language of the current request's pages (``fr`` by default)."""
    loc = get_locale()
    return loc.language if loc is not None else "fr"


def installed_instruments() -> dict[str, Instrument]:
    """The instruments loaded at start-up, by id."""
    instruments: dict[str, Instrument] = current_app.extensions["boussole.instruments"]
    return instruments


def date_filter(value: dt.date | dt.datetime | None) -> str:
    """The ``date`` filter of the templates: ``{{ bilan.convention_date|date }}`` writes
    the day in the page's language, in the one format of :func:`service.dates.format_day`
    (empty for ``None``)."""
    return "" if value is None else format_day(value, request_lang())


def number_filter(value: int | float) -> str:
    """The ``number`` filter of the templates: ``{{ total|number }}`` writes 1 584 in French
    and 1,584 in English (Babel's grouping of the page's language)."""
    return format_decimal(value, locale=request_lang())
