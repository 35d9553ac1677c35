"""Forms of the norms page: build local norms (the minimum n), choose an instrument's
norms. The rules (the floor of the minimum, a version of this centre and instrument built
for the installed version) are checked once, by :mod:`service.features.norms.service`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from service.features.norms.service import DEFAULT_MIN_N
from service.web.forms import WholeNumberField

#: The value of the "shipped norms" choice (the others are local version ids).
SHIPPED = "shipped"


class BuildNormsForm(FlaskForm):
    min_n = WholeNumberField(
        _l("Effectif minimum du groupe"),
        default=DEFAULT_MIN_N,
        validators=[InputRequired(_l("Indiquez un nombre entier de personnes, par exemple 30."))],
        not_a_number=_l("Indiquez un nombre entier de personnes, par exemple 30."),
    )


class ChooseNormsForm(FlaskForm):
    norms = RadioField(
        _l("Normes utilisées pour les nouveaux scores"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez les normes à utiliser."))],
    )
