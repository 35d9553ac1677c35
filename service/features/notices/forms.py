"""The counsellor's own notification preference (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class NotificationForm(FlaskForm):
    notify_completions = BooleanField(
        _l("M’envoyer un e-mail quand une personne que je suis termine un questionnaire")
    )
