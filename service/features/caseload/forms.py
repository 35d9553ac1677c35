"""Forms of the counsellor's workspace (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from service.dates import PARIS
from service.features.accounts.forms import normalise_email, optional_email
from service.models.bilan import DEFAULT_BILAN_TITLE
from service.web.forms import DateField, DateTimeLocalField, select_choices

LANGUAGE_CHOICES = select_choices([("fr", "Français"), ("en", "English")])


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class BlankDefaultDateField(DateField):
    """A date whose default is shown on the blank form only: a form submitted without the
    field has no date (a missing field must not mean "today")."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            self.data = None
            return
        super().process_formdata(valuelist)


class NewBilanForm(FlaskForm):
    first_name = StringField(
        _l("Prénom"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Saisissez le prénom.")),
            Length(max=100, message=_l("100 caractères au plus.")),
        ],
    )
    last_name = StringField(
        _l("Nom"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Saisissez le nom.")),
            Length(max=100, message=_l("100 caractères au plus.")),
        ],
    )
    email = optional_email(
        _l("Adresse e-mail (facultative : pour envoyer le lien et les relances)"),
        lambda v: normalise_email(v) or None,
    )
    language = SelectField(_l("Langue des pages"), choices=LANGUAGE_CHOICES, default="fr")
    title = StringField(
        _l("Intitulé du bilan"),
        default=DEFAULT_BILAN_TITLE,
        filters=[_strip],
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
    )
    next_interview_at = DateTimeLocalField(
        _l("Prochain entretien (facultatif)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )
    #: With a start date the bilan is planned (steps, hours, interviews every 15 days).
    start_date = BlankDefaultDateField(
        _l("Début du bilan"),
        default=lambda: dt.datetime.now(PARIS).date(),
        validators=[Optional()],
    )


class BeneficiaryForm(FlaskForm):
    """The person's name, address and language, corrected after creation."""

    first_name = NewBilanForm.first_name
    last_name = NewBilanForm.last_name
    email = NewBilanForm.email
    language = NewBilanForm.language


class AssignForm(FlaskForm):
    instrument = SelectField(_l("Questionnaire"), choices=[])
    language = SelectField(_l("Langue du questionnaire"), choices=LANGUAGE_CHOICES, default="fr")
    show_results_now = BooleanField(
        _l(
            "Montrer les résultats à la personne dès la fin"
            " (sinon : après l’entretien de restitution)"
        )
    )


class NextInterviewForm(FlaskForm):
    next_interview_at = DateTimeLocalField(
        _l("Prochain entretien"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


class DashboardFilters(FlaskForm):
    """The dashboard's search and filters, read from the query string (GET: shareable
    URLs, no CSRF token). A bad value is ignored with a message naming the filter."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Nom de la personne"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("100 caractères au plus."))],
    )
    statut = SelectField(_l("Statut"), choices=[], default="")
    phase = SelectField(_l("Phase"), choices=[], default="")
    conseiller = SelectField(_l("Conseiller ou conseillère"), choices=[], default="")
