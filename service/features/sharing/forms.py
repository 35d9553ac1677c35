"""The person's decision on one recipient of their results (the CSRF token with it)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class SharingForm(FlaskForm):
    """``token``: the API token decided on; the decision is the button pressed
    (``decision`` = accept, refuse or withdraw), read from the request by the view."""

    token = HiddenField()
