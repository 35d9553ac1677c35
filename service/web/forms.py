"""Form helpers shared by the features' forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

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
