"""Forms of the centre administration: inviting staff, deactivating an account. The rules
(a name, a valid and unused address, a known role, a successor for running bilans) are
checked once, by :mod:`service.features.accounts.staff`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField

from service.web.forms import select_choices


class InviteStaffForm(FlaskForm):
    name = StringField(_l("Nom et prénom"))
    email = EmailField(_l("Adresse e-mail"))
    role = SelectField(
        _l("Rôle"),
        choices=select_choices(
            [
                ("counsellor", _l("Conseiller ou conseillère")),
                ("admin", _l("Administration du centre")),
            ]
        ),
        validate_choice=False,
    )


class DeactivateForm(FlaskForm):
    successor = SelectField(
        _l("Qui reprend ses bilans en cours ?"), choices=[], validate_choice=False
    )
