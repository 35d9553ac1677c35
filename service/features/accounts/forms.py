"""Forms of the sign-in pages (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from service.security import MIN_PASSWORD_LENGTH

MAX_PASSWORD_LENGTH = 200
# Deliberately loose (one @, a dot in the domain, no spaces): the address is confirmed
# by the mail that reaches it, not by a pattern.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def normalise_email(value: str | None) -> str:
    """How addresses are compared and stored: trimmed, lower case."""
    return (value or "").strip().lower()


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _required_email() -> EmailField:
    """The email field of the login and new-link forms."""
    return EmailField(
        _l("Adresse e-mail"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Saisissez votre adresse e-mail.")),
            Length(max=254, message=_l("Cette adresse e-mail est trop longue.")),
        ],
    )


def optional_email(label: Any, normalise: Callable[[Any], Any]) -> EmailField:
    """An email field that may stay empty but, when filled, must look like an address."""
    return EmailField(
        label,
        filters=[normalise],
        validators=[
            Optional(),
            Length(max=254, message=_l("Cette adresse e-mail est trop longue.")),
            Regexp(
                EMAIL_PATTERN,
                message=_l("Saisissez une adresse e-mail complète, par exemple nom@exemple.fr."),
            ),
        ],
    )


class LoginForm(FlaskForm):
    email = _required_email()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(message=_l("Saisissez votre mot de passe."))],
    )


class SetPasswordForm(FlaskForm):
    """A beneficiary chooses a password; ``email`` is only shown when none is on record."""

    email = optional_email(_l("Adresse e-mail"), _strip)
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[
            DataRequired(message=_l("Choisissez un mot de passe.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l(
                    "Le mot de passe doit comporter au moins %(min)d caractères.",
                    min=MIN_PASSWORD_LENGTH,
                ),
            ),
            Length(
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Le mot de passe ne peut pas dépasser %(max)d caractères.",
                    max=MAX_PASSWORD_LENGTH,
                ),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            DataRequired(message=_l("Saisissez une seconde fois le mot de passe.")),
            EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
        ],
    )


class RequestLinkForm(FlaskForm):
    email = _required_email()
