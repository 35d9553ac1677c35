"""Forms of the beneficiary's pages (Flask-WTF, CSRF-protected).

A questionnaire page's form is generated from the instrument: one field per item, named
``q-<item id>``, whose validator checks the answer against the item's declared coding
(:func:`service.features.journey.answers.parse_value`) and keeps the parsed value on the field. The
templates render the fields themselves (fieldset, legend, labels, hints and errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from instruments.model import Instrument, Item, ResponseFormat
from service.features.journey.answers import (
    CHOICE_TYPES,
    DEFAULT_TEXT_MAX,
    AnswerError,
    code_text,
    parse_value,
)
from service.features.journey.paging import Page
from service.web.forms import select_choices


def _months(value: object) -> int:
    """A period of the radio buttons as a number (-1 for anything else: refused)."""
    try:
        return int(str(value))
    except ValueError:
        return -1


class ConsentForm(FlaskForm):
    text_version = HiddenField()
    keep_for_followup = BooleanField(
        _l(
            "J’accepte que mes réponses et mes résultats soient conservés après la fin du"
            " bilan pour l’entretien de suivi, pendant la durée choisie ci-dessous."
        )
    )
    keep_months = RadioField(
        _l("Durée de conservation après la fin du bilan"),
        choices=select_choices(
            [
                ("3", _l("3 mois")),
                ("6", _l("6 mois")),
                ("12", _l("12 mois (un an, la durée la plus longue)")),
            ]
        ),
        coerce=lambda value: _months(value),
        default=12,
        validate_choice=False,
        validators=[AnyOf((3, 6, 12), message=_l("Choisissez une durée de 3, 6 ou 12 mois."))],
    )
    accept = SubmitField(_l("J’accepte"))
    refuse = SubmitField(_l("Je refuse"))


class FinishForm(FlaskForm):
    """Only the CSRF token: the answers are already stored."""


def field_name(item_id: str) -> str:
    return f"q-{item_id}"


class ItemValue:
    """Validator: the answer fits the item's coding; the parsed value goes to ``field.parsed``."""

    def __init__(self, fmt: ResponseFormat):
        self.fmt = fmt

    def __call__(self, form: FlaskForm, field: Field) -> None:
        field.parsed = None
        try:
            field.parsed = parse_value(self.fmt, list(field.raw_data or []))
        except AnswerError as exc:
            raise ValidationError(str(exc)) from None


def _item_field(item: Item, fmt: ResponseFormat, lang: str) -> Any:
    label = item.text.get(lang)
    validators = [ItemValue(fmt)]
    options = select_choices([(code_text(o.value), o.label.get(lang)) for o in fmt.options])
    if fmt.type in CHOICE_TYPES:
        return RadioField(label, choices=options, validate_choice=False, validators=validators)
    if fmt.type == "multiple_choice":
        return SelectMultipleField(
            label,
            choices=options,
            validate_choice=False,
            validators=validators,
            option_widget=CheckboxInput(),
            widget=ListWidget(prefix_label=False),
        )
    if fmt.type == "ranking":
        size = fmt.size or 0
        ranks = select_choices([("", "—")] + [(str(k), str(k)) for k in range(1, size + 1)])
        return SelectField(label, choices=ranks, validate_choice=False, validators=validators)
    if fmt.type == "free_text":
        return TextAreaField(label, validators=validators)
    return StringField(label, validators=validators)  # number


def _stored_as_form_value(fmt: ResponseFormat, value: Any) -> Any:
    if value is None:
        return None
    if fmt.type == "multiple_choice":
        return [code_text(v) for v in value] if isinstance(value, list) else []
    if fmt.type == "free_text":
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return code_text(value)
    return str(value)


def page_form(
    instrument: Instrument, page: Page, lang: str, stored: dict[str, Any], **kwargs: Any
) -> FlaskForm:
    """The form of one page, pre-filled with the stored answers (a POST's data wins)."""

    class PageForm(FlaskForm):
        t = HiddenField()  # signed render time: time spent on the page
        reported = HiddenField()  # seconds already reported by the autosave script

    data: dict[str, Any] = {}
    for item in page.items:
        fmt = instrument.formats[item.format]
        setattr(PageForm, field_name(item.id), _item_field(item, fmt, lang))
        value = _stored_as_form_value(fmt, stored.get(item.id))
        if value is not None:
            data[field_name(item.id)] = value
    return PageForm(data=data, **kwargs)


def submitted_values(form: FlaskForm, page: Page) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate the submitted page: (item id -> parsed value or None, item id -> error).

    Validation runs every item's :class:`ItemValue`, which parses the value; a page with
    errors still saves its valid answers, so the overall result is not needed here."""
    form.validate()
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in page.items:
        f = form[field_name(item.id)]
        if f.errors:
            errors[item.id] = str(f.errors[0])
        else:
            values[item.id] = getattr(f, "parsed", None)
    return values, errors


@dataclass(frozen=True)
class ItemView:
    """What the page template needs to render one item."""

    item: Item
    kind: str  # choice | multiple | ranking | number | text
    field: Any
    dom_id: str  # id of the first control (error summary links here)
    text: str
    hint: str | None = None
    error: str | None = None
    attrs: dict[str, str] | None = None  # number / text input attributes

    @property
    def aria(self) -> dict[str, str]:
        """Attributes of every control of the item: its hint and error, invalid state."""
        ids = []
        if self.hint:
            ids.append(f"hint-{self.field.id}")
        if self.error:
            ids.append(f"err-{self.field.id}")
        out = {"aria-describedby": " ".join(ids)} if ids else {}
        if self.error:
            out["aria-invalid"] = "true"
        return out

    @property
    def input_attrs(self) -> dict[str, str]:
        return {**(self.attrs or {}), **self.aria}


def item_views(
    form: FlaskForm, instrument: Instrument, page: Page, lang: str, errors: dict[str, str]
) -> list[ItemView]:
    views = []
    for item in page.items:
        fmt = instrument.formats[item.format]
        f = form[field_name(item.id)]
        text = item.text.get(lang)
        hint = None
        attrs: dict[str, str] = {}
        if fmt.type in CHOICE_TYPES:
            kind, dom_id = "choice", f"{f.id}-0"
        elif fmt.type == "multiple_choice":
            kind, dom_id = "multiple", f"{f.id}-0"
            hint = _("Plusieurs réponses possibles.")
        elif fmt.type == "ranking":
            kind, dom_id = "ranking", f.id
        elif fmt.type == "free_text":
            kind, dom_id = "text", f.id
            limit = fmt.max_length or DEFAULT_TEXT_MAX
            attrs = {"maxlength": str(limit), "rows": "5"}
            hint = _("Facultatif, %(max)s caractères au plus.", max=limit)
        else:
            kind, dom_id = "number", f.id
            lo, hi = fmt.coding_range
            whole = (fmt.step is None or float(fmt.step).is_integer()) and float(lo).is_integer()
            attrs = {
                "min": code_text(lo),
                "max": code_text(hi),
                "step": code_text(fmt.step) if fmt.step is not None else "any",
            }
            if lo >= 0:
                attrs["inputmode"] = "numeric" if whole and fmt.step is not None else "decimal"
            hint = _("Un nombre de %(min)s à %(max)s.", min=code_text(lo), max=code_text(hi))
        views.append(
            ItemView(
                item=item,
                kind=kind,
                field=f,
                dom_id=dom_id,
                text=text,
                hint=hint,
                error=errors.get(item.id),
                attrs=attrs,
            )
        )
    return views


@dataclass(frozen=True)
class BlockView:
    """A group of item views rendered together: a ranking block, or one item."""

    block: str | None
    items: tuple[ItemView, ...]
    size: int = 0


def group_blocks(views: list[ItemView], instrument: Instrument) -> list[BlockView]:
    out: list[BlockView] = []
    for v in views:
        if v.kind == "ranking" and out and out[-1].block == v.item.block:
            last = out[-1]
            out[-1] = BlockView(last.block, (*last.items, v), last.size)
        elif v.kind == "ranking":
            size = instrument.formats[v.item.format].size or 0
            out.append(BlockView(v.item.block, (v,), size))
        else:
            out.append(BlockView(None, (v,)))
    return out
