"""Answers checked against the instrument's declared coding: a value is parsed (numbers,
option codes, rankings, free text) or refused with a message naming the item and the rule.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from instruments.model import Instrument, Item, ResponseFormat

log = logging.getLogger(__name__)


#: Length limit of a free-text answer whose format declares none.
DEFAULT_TEXT_MAX = 5000

CHOICE_TYPES = frozenset({"likert", "rating", "binary", "single_choice", "forced_choice"})


class AnswerError(ValueError):
    """An answer outside the item's declared coding; ``str(exc)`` is the message to show."""

    def __init__(self, message: str, item_id: str | None = None):
        super().__init__(message)
        self.item_id = item_id


def code_text(value: float) -> str:
    """A numeric code as it appears in a form: ``3`` (not ``3.0``), ``2.5``.

    Examples
    --------
    >>> code_text(3.0), code_text(2.5), code_text(-1)
    ('3', '2.5', '-1')
    """
    v = float(value)
    return str(int(v)) if v.is_integer() else repr(v)


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _show_number(value: float) -> str:
    return str(format_decimal(value))


def _number(raw: object) -> float:
    if isinstance(raw, bool):
        raise AnswerError(_("Cette réponse n’est pas un nombre."))
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond any float (10**400)
            raise AnswerError(_("Indiquez un nombre, en chiffres.")) from None
    elif isinstance(raw, str):
        text = raw.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise AnswerError(_("Indiquez un nombre, en chiffres.")) from None
    else:
        raise AnswerError(_("Cette réponse n’est pas un nombre."))
    if not math.isfinite(value):
        raise AnswerError(_("Indiquez un nombre, en chiffres."))
    return value


def _single(raw: object) -> object:
    """A form field's raw data is a list: take its only value."""
    if isinstance(raw, list | tuple):
        if len(raw) == 0:
            return None
        if len(raw) > 1:
            raise AnswerError(_("Une seule réponse est attendue pour cette question."))
        return raw[0]
    return raw


def parse_value(fmt: ResponseFormat, raw: object) -> Any:
    """Check a submitted answer against its format and return the value to store.

    ``None``, an empty string or an empty list mean "no answer" and give ``None``.
    Raises :class:`AnswerError` (with a French message) for anything outside the declared
    coding. Numbers are returned as ``int`` when whole; multiple choice as the sorted list
    of chosen codes; free text as the text, stripped.
    """
    if raw is None:
        return None
    if fmt.type == "free_text":
        return _parse_text(fmt, raw)
    if fmt.type == "multiple_choice":
        return _parse_choices(fmt, raw)
    one = _single(raw)
    if one is None or (isinstance(one, str) and one.strip() == ""):
        return None
    value = _number(one)
    allowed_values = fmt.allowed_values()
    if allowed_values is not None:
        if value not in allowed_values:
            if fmt.type == "ranking":
                raise AnswerError(_("Choisissez un rang entre 1 et %(k)s.", k=len(allowed_values)))
            raise AnswerError(_("Choisissez une des réponses proposées."))
        return _plain(value)
    _check_number(fmt, value)
    return _plain(value)


def _parse_text(fmt: ResponseFormat, raw: object) -> str | None:
    text = _single(raw)
    if text is None:
        return None
    if not isinstance(text, str):
        raise AnswerError(_("Cette réponse doit être un texte."))
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return None
    limit = fmt.max_length or DEFAULT_TEXT_MAX
    if len(text) > limit:
        raise AnswerError(
            _(
                "Votre texte compte %(n)s caractères : raccourcissez-le à %(max)s"
                " caractères au plus.",
                n=len(text),
                max=limit,
            )
        )
    return text


def _parse_choices(fmt: ResponseFormat, raw: object) -> list[int | float] | None:
    chosen = list(raw) if isinstance(raw, list | tuple) else [raw]
    chosen = [c for c in chosen if not (isinstance(c, str) and c.strip() == "")]
    if not chosen:
        return None
    allowed = {float(o.value) for o in fmt.options}
    codes: set[float] = set()
    for c in chosen:
        v = _number(c)
        if v not in allowed:
            raise AnswerError(_("Choisissez parmi les réponses proposées."))
        codes.add(v)
    return [_plain(v) for v in sorted(codes)]


def _check_number(fmt: ResponseFormat, value: float) -> None:
    """A number inside the format's range, on its step."""
    lo, hi = fmt.coding_range
    if not lo <= value <= hi:
        raise AnswerError(
            _(
                "Indiquez un nombre entre %(min)s et %(max)s.",
                min=_show_number(lo),
                max=_show_number(hi),
            )
        )
    if fmt.step is None:
        return
    steps = (value - lo) / fmt.step
    if math.isclose(steps, round(steps), abs_tol=1e-9):
        return
    if fmt.step == 1 and float(lo).is_integer():
        raise AnswerError(_("Indiquez un nombre entier."))
    raise AnswerError(
        _(
            "Indiquez un nombre par pas de %(step)s à partir de %(min)s.",
            step=_show_number(fmt.step),
            min=_show_number(lo),
        )
    )


def ranking_blocks(instrument: Instrument) -> dict[str, tuple[Item, ...]]:
    """Ranking blocks of an instrument: block id -> its statements, in order."""
    blocks: dict[str, list[Item]] = {}
    for item in instrument.items:
        if item.block and instrument.formats[item.format].type == "ranking":
            blocks.setdefault(item.block, []).append(item)
    return {b: tuple(items) for b, items in blocks.items()}


def ranking_problems(
    instrument: Instrument,
    values: Mapping[str, Any],
    *,
    blocks: Iterable[str] | None = None,
    complete: bool = True,
) -> dict[str, str]:
    """Ranking problems as item id -> message.

    A rank given to two statements is always a problem (on each of them); with
    ``complete``, a block ranked only in part is one too (on its unranked statements).
    An entirely unranked block is not: the missing-data rule deals with it.
    """
    problems: dict[str, str] = {}
    all_blocks = ranking_blocks(instrument)
    for block in blocks if blocks is not None else all_blocks:
        items = all_blocks.get(block, ())
        ranks = {it.id: values.get(it.id) for it in items}
        given = {k: v for k, v in ranks.items() if v is not None}
        if not given:
            continue
        seen: dict[float, list[str]] = {}
        for item_id, rank in given.items():
            seen.setdefault(float(rank), []).append(item_id)
        for rank, ids in seen.items():
            if len(ids) > 1:
                for item_id in ids:
                    problems[item_id] = _(
                        "Le rang %(rank)s est donné à %(n)s énoncés : chaque rang ne peut"
                        " être utilisé qu’une fois.",
                        rank=code_text(rank),
                        n=len(ids),
                    )
        if complete and len(given) < len(items):
            first = True
            for item_id, rank in ranks.items():
                if rank is None and item_id not in problems:
                    if first:  # the whole explanation once, then a short reminder
                        problems[item_id] = _(
                            "Donnez un rang à chacun des %(k)s énoncés (de 1 à %(k)s, chaque"
                            " rang une fois), ou laissez-les tous vides pour y revenir plus tard.",
                            k=len(items),
                        )
                        first = False
                    else:
                        problems[item_id] = _("Rang manquant.")
    return problems
