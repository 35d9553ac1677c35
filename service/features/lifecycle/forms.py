"""The person's confirmation of an erasure, their request for one, the admin's answer."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from service.web.forms import select_choices


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("Je comprends que ces données seront détruites définitivement."),
        validators=[DataRequired(_l("Cochez la case pour confirmer l’effacement."))],
    )


class ErasureRequestForm(FlaskForm):
    """The person's request for erasure: an optional message (what they want erased, why)."""

    message = TextAreaField(
        _l("Message pour le centre (facultatif)"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Le message dépasse 2 000 caractères.")),
        ],
    )


class ErasureAnswerForm(FlaskForm):
    """The admin's answer: carry out, or refuse with a written reason."""

    decision = RadioField(
        _l("Votre réponse"),
        choices=select_choices(
            [
                ("carry_out", _l("Effacer le contenu du bilan maintenant")),
                ("refuse", _l("Refuser la demande, avec un motif écrit")),
            ]
        ),
        validators=[InputRequired(_l("Choisissez d’effacer ou de refuser."))],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Motif du refus (lu par la personne)"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Le motif dépasse 2 000 caractères.")),
        ],
    )

    def validate_decision(self, field: RadioField) -> None:
        if field.data not in ("carry_out", "refuse"):
            raise ValidationError(_("Choisissez d’effacer ou de refuser."))
        if field.data == "refuse" and not (self.reason.data or "").strip():
            raise ValidationError(_("Écrivez le motif du refus : la personne le lira."))
