"""Forms of the centre administration: inviting staff, deactivating an account. The rules
(a name, a valid and unused address, a known role, a successor for running bilans) are
checked once, by :mod:`service.features.accounts.staff`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField

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


class ApiTokenForm(FlaskForm):
    """A new API token: its name, its scopes (checkboxes), its validity in days. The rules
    are checked once, by :mod:`service.features.api.tokens`."""

    name = StringField(_l("Nom du jeton (le logiciel qui l’utilisera)"))
    scopes = SelectMultipleField(_l("Droits"), choices=[], validate_choice=False)
    days = StringField(_l("Durée de validité, en jours (366 au plus)"), default="90")
