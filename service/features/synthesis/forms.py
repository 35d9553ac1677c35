"""Forms of the document de synthèse and of the action plan (Flask-WTF, CSRF-protected):
the counsellor's (sections, actions, follow-up date) and the person's (observations,
approval)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from service.features.synthesis.service import ACTION_MAX, OBSERVATIONS_MAX, OWNER_MAX, SECTION_MAX
from service.web.forms import DateField, select_choices

_SECTION_LENGTH = Length(max=SECTION_MAX, message=_l("50 000 caractères au plus."))


class SynthesisForm(FlaskForm):
    """The three sections (labels: the headings of the document)."""

    circumstances = TextAreaField(_l("1. Les circonstances du bilan"), validators=[_SECTION_LENGTH])
    competences = TextAreaField(
        _l("2. Les compétences et aptitudes au regard des perspectives d’évolution envisagées"),
        validators=[_SECTION_LENGTH],
    )
    project = TextAreaField(
        _l(
            "3. Le projet professionnel, les principales étapes prévues pour sa réalisation"
            " et le plan d’action"
        ),
        validators=[_SECTION_LENGTH],
    )


def status_choices() -> list[Any]:
    return select_choices(
        [
            ("a_faire", str(_l("À faire"))),
            ("en_cours", str(_l("En cours"))),
            ("fait", str(_l("Faite"))),
            ("abandonne", str(_l("Abandonnée"))),
        ]
    )


class ActionItemForm(FlaskForm):
    text = TextAreaField(
        _l("Action"),
        validators=[
            DataRequired(message=_l("Décrivez l’action.")),
            Length(max=ACTION_MAX, message=_l("2 000 caractères au plus.")),
        ],
    )
    owner = StringField(
        _l("Responsable"),
        default="bénéficiaire",
        validators=[
            DataRequired(message=_l("Indiquez qui est responsable de l’action.")),
            Length(max=OWNER_MAX, message=_l("100 caractères au plus.")),
        ],
    )
    due_on = DateField(
        _l("Échéance (facultative)"),
        validators=[Optional()],
    )
    status = SelectField(_l("État"), default="a_faire")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = status_choices()


class FollowupForm(FlaskForm):
    followup_date = DateField(
        _l("Date de suivi du bilan (six mois après la fin, par défaut)"),
        validators=[Optional()],
    )


class ObservationsForm(FlaskForm):
    observations = TextAreaField(
        _l("Mes observations sur ce document (facultatif)"),
        validators=[Length(max=OBSERVATIONS_MAX, message=_l("10 000 caractères au plus."))],
    )


class ApproveForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    confirm = BooleanField(
        _l("J’ai lu ce document et je l’approuve. Je sais qu’il ne pourra plus être modifié."),
        validators=[DataRequired(message=_l("Cochez la case pour confirmer votre approbation."))],
    )
