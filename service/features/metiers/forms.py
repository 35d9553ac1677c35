"""The métiers search form, read from the query string (GET: shareable URLs, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from service.features.metiers.search import MAX_QUERY


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _query(label: str) -> StringField:
    """A search text: stripped, at most MAX_QUERY characters (the page says so, with a 400)."""
    return StringField(
        label,
        filters=[_strip],
        validators=[Length(max=MAX_QUERY, message=_l("La recherche est trop longue."))],
    )


class MetiersFilters(FlaskForm):
    class Meta:
        csrf = False

    q = _query(_l("Intitulé de métier"))
    gd = SelectField(_l("Grand domaine"), choices=[], default="")
    domaine = SelectField(_l("Domaine professionnel"), choices=[], default="")
    tag = SelectMultipleField(
        _l("Caractéristiques"),
        choices=[],
        default=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class CompetenceSearch(FlaskForm):
    class Meta:
        csrf = False

    q = _query(_l("Rechercher une compétence"))
