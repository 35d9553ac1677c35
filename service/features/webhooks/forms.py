"""The endpoint form: only what was typed; the rules are :mod:`.service`'s."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Adresse (URL) qui recevra les événements"),
        render_kw={"size": 60, "spellcheck": "false", "inputmode": "url"},
    )
    events = SelectMultipleField(_l("Événements envoyés"), choices=[], validate_choice=False)
