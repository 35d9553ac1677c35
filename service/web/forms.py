"""Form helpers shared by the features' forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField

try:  # WTForms >= 3.3 declares choices as SelectChoice objects (tuples are deprecated)
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


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
