"""Small request-level helpers shared by the blueprints (language, installed instruments)."""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale

from instruments.model import Instrument


def request_lang() -> str:
    """The language of the current request's pages (``fr`` by default)."""
    loc = get_locale()
    return loc.language if loc is not None else "fr"


def installed_instruments() -> dict[str, Instrument]:
    """The instruments loaded at start-up, by id."""
    instruments: dict[str, Instrument] = current_app.extensions["boussole.instruments"]
    return instruments
