"""The person's confirmation of an erasure."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("Je comprends que ces données seront détruites définitivement."),
        validators=[DataRequired(_l("Cochez la case pour confirmer l’effacement."))],
    )
