"""Form helpers shared by the features' forms: choices, the CSRF-only form, and the date
fields every form uses (bounded to a range of years)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import wtforms
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import IntegerField

from service.dates import format_day
from service.web.context import request_lang

try:  # WTForms >= 3.3 declares choices as SelectChoice objects (tuples are deprecated)
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


def select_choices(pairs: list[tuple[str, str]]) -> list[Any]:
    """Choices of a select or radio field, in the form the installed WTForms expects."""
    if SelectChoice is None:  # pragma: no cover
        return pairs
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """A button that changes something: its form carries only the CSRF token (checked for
    every POST by ``CSRFProtect`` before the view runs)."""


class WholeNumberField(IntegerField):
    """An integer field whose "not a whole number" error says what to type.

    WTForms has ``invalid_value_message`` only from 3.3; the floor is 3.1.
    """

    def __init__(
        self, label: Any = None, validators: Any = None, *, not_a_number: Any, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(self.not_a_number)) from None


#: Dates a form accepts: a bilan's dates lie well within them, and the computations made
#: from them (a calendar every 15 days, a follow-up six months later, retention periods)
#: stay far from the limits of Python's dates (year 9999 overflowed them).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


def _range_message() -> str:
    return _(
        "Saisissez une date entre le %(first)s et le %(last)s.",
        first=format_day(FIRST_DAY, request_lang()),
        last=format_day(LAST_DAY, request_lang()),
    )


class _InRange:
    """A date field whose day must lie between ``FIRST_DAY`` and ``LAST_DAY``."""

    data: Any

    def _check_range(self) -> None:
        value = self.data
        day = value.date() if isinstance(value, dt.datetime) else value
        if isinstance(day, dt.date) and not FIRST_DAY <= day <= LAST_DAY:
            self.data = None
            raise ValueError(_range_message())


class DateField(_InRange, wtforms.DateField):
    """WTForms' date field, refusing a day outside ``FIRST_DAY``-``LAST_DAY``."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self._check_range()


class DateTimeLocalField(_InRange, wtforms.DateTimeLocalField):
    """WTForms' date-and-time field, refusing a day outside ``FIRST_DAY``-``LAST_DAY``."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self._check_range()
