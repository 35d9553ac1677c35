"""Forms of the profile and restitution pages: private notes and report comments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Nouvelle note (visible des seuls conseillers du bilan)"),
        validators=[
            DataRequired(message=_l("La note est vide.")),
            Length(max=10_000, message=_l("10 000 caractères au plus.")),
        ],
    )


class CommentForm(FlaskForm):
    comment = TextAreaField(
        _l("Commentaire pour le rapport de restitution (lu par la personne)"),
        validators=[Length(max=10_000, message=_l("10 000 caractères au plus."))],
    )
