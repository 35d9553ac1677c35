"""Forms of the bilan record and the centre's template (Flask-WTF, CSRF-protected).

The forms only read what was typed (present, a date, a number, not too long for a text
box); every rule of the record (phases, modes, kinds, ranges of hours and minutes, dates in
order, a step's name) is checked once, by :mod:`service.features.record.service`, whose
refusals the views show next to the field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from service import dates
from service.features.record import service as record
from service.web.forms import DateField, DateTimeLocalField
from service.web.inputs import parse_id


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class HoursField(StringField):
    """A number of hours typed the French way (``1,5``) or with a dot; ``data`` is a Decimal."""

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]).strip() if valuelist else ""
        self.raw_text = raw
        if not raw:
            self.data = None
            return
        try:
            value = Decimal(raw.replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except InvalidOperation:
            self.data = None
            raise ValueError(str(_l("Un nombre d’heures, par exemple 2 ou 1,5."))) from None
        if not value.is_finite():
            self.data = None
            raise ValueError(str(_l("Un nombre d’heures, par exemple 2 ou 1,5.")))
        self.data = value

    def _value(self) -> str:
        if getattr(self, "raw_text", None) is not None and self.data is None:
            return str(self.raw_text)
        return record.format_hours(self.data) if self.data is not None else ""


class RecordForm(FlaskForm):
    funding = StringField(
        _l("Financement"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("100 caractères au plus."))],
    )
    commanditaire = StringField(
        _l("Commanditaire (facultatif)"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
    )
    convention_date = DateField(_l("Date de la convention"), validators=[Optional()])
    convention_signatories = TextAreaField(
        _l("Signataires de la convention"),
        validators=[Length(max=2000, message=_l("2 000 caractères au plus."))],
    )
    convention_signed = BooleanField(_l("Convention signée par toutes les parties"))
    objectives = TextAreaField(
        _l("Objectifs personnalisés du bilan (phase préliminaire)"),
        validators=[Length(max=10_000, message=_l("10 000 caractères au plus."))],
    )
    start_date = DateField(_l("Début du bilan"), validators=[Optional()])
    planned_end = DateField(_l("Fin prévue"), validators=[Optional()])
    followup_date = DateField(_l("Date du suivi"), validators=[Optional()])


class StatusForm(FlaskForm):
    status = StringField(_l("Statut"), validators=[InputRequired(message=_l("Choisissez."))])


class PlanForm(FlaskForm):
    start_date = DateField(
        _l("Début du bilan"),
        validators=[InputRequired(message=_l("Saisissez la date de début du bilan."))],
    )
    at = TimeField(
        _l("Heure des entretiens (heure de Paris)"),
        default=record.DEFAULT_TIME,
        validators=[InputRequired(message=_l("Saisissez une heure."))],
    )


class StepForm(FlaskForm):
    phase = SelectField(
        _l("Phase"),
        choices=[],
        validate_choice=False,
    )
    name = StringField(
        _l("Étape"),
        filters=[_strip],
    )
    objectives = TextAreaField(
        _l("Objectifs et outils"),
        validators=[Length(max=10_000, message=_l("10 000 caractères au plus."))],
    )
    interview_hours = HoursField(
        _l("Heures d’entretien"),
        validators=[InputRequired(message=_l("Saisissez un nombre d’heures."))],
    )
    personal_hours = HoursField(
        _l("Heures de travail personnel"),
        validators=[InputRequired(message=_l("Saisissez un nombre d’heures."))],
    )
    instruments = SelectMultipleField(
        _l("Questionnaires de l’étape"),
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    planned_at = DateTimeLocalField(
        _l("Date prévue de l’entretien"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


def _step_choice(form: Any, field: Any) -> None:
    if field.data and parse_id(str(field.data)) is None:
        raise ValidationError(str(_l("Étape inconnue : choisissez une étape de ce bilan.")))


class InterviewForm(FlaskForm):
    held_at = DateTimeLocalField(
        _l("Date et heure de l’entretien"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Saisissez la date et l’heure de l’entretien."))],
    )
    minutes = IntegerField(
        _l("Durée (minutes)"),
        default=120,
        validators=[
            InputRequired(message=_l("Saisissez la durée en minutes.")),
        ],
    )
    mode = SelectField(
        _l("Mode"),
        choices=[],
        validate_choice=False,
    )
    topic = TextAreaField(
        _l("Thème de l’entretien"),
        validators=[Length(max=2000, message=_l("2 000 caractères au plus."))],
    )
    step_id = SelectField(
        _l("Étape du bilan"), choices=[], validate_choice=False, validators=[_step_choice]
    )


class WorkForm(FlaskForm):
    done_on = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Saisissez la date du travail personnel."))],
    )
    minutes = IntegerField(
        _l("Durée (minutes)"),
        validators=[
            InputRequired(message=_l("Saisissez la durée en minutes.")),
        ],
    )
    kind = SelectField(
        _l("Type de travail"),
        choices=[],
        validate_choice=False,
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=2000, message=_l("2 000 caractères au plus."))],
    )
    step_id = SelectField(
        _l("Étape du bilan"), choices=[], validate_choice=False, validators=[_step_choice]
    )


def step_id_of(form: InterviewForm | WorkForm) -> int | None:
    raw = form.step_id.data
    return parse_id(str(raw)) if raw else None


def today_paris() -> dt.date:
    return dt.datetime.now(dates.PARIS).date()
