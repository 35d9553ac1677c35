"""Answering a questionnaire: one answer (the autosave) or a page at a time, where to
resume, and the progress shown to the person."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from instruments.model import Instrument
from service.features.journey.answers import AnswerError, parse_value, ranking_problems
from service.features.journey.paging import Page, paginate
from service.features.journey.store import (
    MAX_PAGE_SECONDS,
    AssignmentClosed,
    add_page_seconds,
    claim_page_increment,
    count_answered,
    open_for_answers,
    record_answer,
    stored_answers,
    upsert_answer,
)
from service.models import (
    Assignment,
)

log = logging.getLogger(__name__)


def progress_percent(answered: int, total: int) -> int:
    """Whole percent answered, rounded down: 100 only when every item is answered.

    Examples
    --------
    >>> progress_percent(0, 25), progress_percent(1, 3), progress_percent(24, 25)
    (0, 33, 96)
    >>> progress_percent(25, 25), progress_percent(0, 0)
    (100, 0)
    """
    if total <= 0:
        return 0
    return min(100, (100 * answered) // total)


def minutes_left(instrument: Instrument, answered: int) -> int:
    """Estimated minutes left, in proportion of unanswered items (at least 1 if any).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "riasec-60.yaml")  # 10 minutes, 60 items
    >>> [minutes_left(inst, n) for n in (0, 30, 59, 60)]
    [10, 5, 1, 0]
    """
    total = len(instrument.items)
    left = max(0, total - answered)
    if left == 0:
        return 0
    return max(1, math.ceil(instrument.minutes * left / total - 1e-9))


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    percent: int
    minutes_left: int


def progress_of(session: Session, assignment_id: int, instrument: Instrument) -> Progress:
    answered = count_answered(session, assignment_id)
    total = len(instrument.items)
    return Progress(
        answered, total, progress_percent(answered, total), minutes_left(instrument, answered)
    )


@dataclass(frozen=True)
class Saved:
    """Outcome of an autosave, as returned in JSON."""

    answered: int
    total: int
    progress: int

    def as_json(self) -> dict[str, Any]:
        return {
            "saved": True,
            "answered": self.answered,
            "total": self.total,
            "progress": self.progress,
        }


def save_answer(
    session: Session,
    assignment_id: int,
    instrument: Instrument,
    item_id: object,
    raw: object,
    *,
    page: object = None,
    seconds: object = None,
    client: tuple[object, object] = (None, None),
    per_page: int,
) -> Saved:
    """Check and store one answer (``raw`` None clears it); returns the new progress.
    ``seconds`` on ``page`` are added to the page's time unless ``client`` (the script's
    page visit id and sequence number) says this increment was counted already.

    Raises :class:`AnswerError` for an unknown item or a value outside the coding, and
    :class:`AssignmentClosed` when the questionnaire is completed. The caller commits.
    """
    if not isinstance(item_id, str):
        raise AnswerError(_("Question inconnue."))
    try:
        item = instrument.item(item_id)
    except KeyError:
        raise AnswerError(_("Cette question ne fait pas partie du questionnaire."), None) from None
    try:
        value = parse_value(instrument.formats[item.format], raw)
    except AnswerError as exc:
        exc.item_id = item.id
        raise
    pages = paginate(instrument, per_page)
    page_number = _page_number(page, len(pages))
    secs = _seconds(seconds)
    if (
        secs
        and page_number is not None
        and not _new_increment(session, assignment_id, page_number, client)
    ):
        secs = 0.0  # a retried request: its seconds are counted already
    answered = record_answer(session, assignment_id, item.id, value, page=page_number, seconds=secs)
    if answered is None:
        raise AssignmentClosed(assignment_id)
    total = len(instrument.items)
    return Saved(answered, total, progress_percent(answered, total))


def _page_number(page: object, n_pages: int) -> int | None:
    if isinstance(page, bool):
        return None
    if isinstance(page, str) and page.isascii() and page.isdigit():
        page = int(page)
    if isinstance(page, int) and 1 <= page <= n_pages:
        return page
    return None


_VISIT_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")


def _new_increment(
    session: Session, assignment_id: int, page: int, client: tuple[object, object]
) -> bool:
    """The page-time increment ``client`` = (page visit id, sequence number) sent by the
    autosave script was not counted yet. Without valid numbers (an older script), every
    request counts, as before."""
    visit, seq = client
    if not isinstance(visit, str) or not _VISIT_ID.fullmatch(visit):
        return True
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**31:
        return True
    return claim_page_increment(session, assignment_id, page, visit=visit, seq=seq)


def _seconds(seconds: object) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        return 0.0
    try:
        value = float(seconds)
    except (ValueError, OverflowError):  # "abc", 10**400
        return 0.0
    if not math.isfinite(value) or value <= 0:
        return 0.0
    return min(value, MAX_PAGE_SECONDS)


@dataclass
class PageSubmission:
    """Outcome of a page submitted without JavaScript."""

    errors: dict[str, str] = field(default_factory=dict)  # item id -> message
    saved: int = 0
    target: int | None = None  # page to go to (0 = instructions page); None: stay

    @property
    def ok(self) -> bool:
        return not self.errors


def save_page(
    session: Session,
    assignment: Assignment,
    instrument: Instrument,
    page: Page,
    submitted: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    action: str,
    n_pages: int,
    seconds: float = 0.0,
) -> PageSubmission:
    """Store the valid answers of a submitted page and say where to go next.

    ``submitted`` maps the page's item ids to parsed values (None = left empty, which
    changes nothing: answers are cleared only explicitly, through the autosave), and
    ``errors`` the items whose values were refused. Ranking blocks with a rank used twice
    are refused as a whole; going forward also needs required items answered and ranking
    blocks ranked completely (or not at all). Valid answers are stored even when others are
    refused. The caller commits.
    """
    out = PageSubmission(errors=dict(errors))
    if not open_for_answers(session, assignment.id):
        raise AssignmentClosed(assignment.id)
    stored = stored_answers(session, assignment.id)
    merged = dict(stored)
    merged.update({k: v for k, v in submitted.items() if v is not None and k not in errors})
    forward = action in ("next", "finish")
    page_blocks = {it.block for it in page.items if it.block}
    rank_errors = ranking_problems(instrument, merged, blocks=page_blocks, complete=forward)
    for item_id, message in rank_errors.items():
        out.errors.setdefault(item_id, message)
    duplicated_blocks = {instrument.item(i).block for i, m in rank_errors.items() if i in submitted}
    out.saved = _store_valid(
        session, assignment, page, submitted, errors, stored, duplicated_blocks
    )
    if forward:
        for item in page.items:
            if item.required and merged.get(item.id) is None and item.id not in out.errors:
                out.errors[item.id] = _("Cette question demande une réponse.")
    add_page_seconds(session, assignment.id, page.number, seconds)
    if out.errors:
        return out
    out.target = _target_page(action, page.number, n_pages)
    if out.target >= 1:
        open_for_answers(session, assignment.id, page=out.target)
    return out


def _store_valid(
    session: Session,
    assignment: Assignment,
    page: Page,
    submitted: Mapping[str, Any],
    errors: Mapping[str, str],
    stored: Mapping[str, Any],
    refused_blocks: set[str | None],
) -> int:
    """Write the page's valid answers that changed; how many valid answers it had."""
    saved = 0
    for item in page.items:
        value = submitted.get(item.id)
        if value is None or item.id in errors:
            continue
        if item.block is not None and item.block in refused_blocks:
            continue
        if stored.get(item.id) != value:
            upsert_answer(session, assignment.id, item.id, value)
        saved += 1
    return saved


def _target_page(action: str, number: int, n_pages: int) -> int:
    """The page to show after a page was saved without errors (0: before the first):
    ``end`` goes to the last page (where "Terminer" is), ``stay`` stays."""
    if action == "previous":
        return number - 1
    if action == "end":
        return n_pages
    if action in ("finish", "later", "stay") or number >= n_pages:
        return number
    return number + 1


def resume_point(
    assignment: Assignment, pages: Sequence[Page], answers: Mapping[str, Any]
) -> tuple[int, str]:
    """Where to (re)start, as the page number and the item to put the focus on: the first
    unanswered item of :func:`resume_page`, else its first item."""
    number = resume_page(assignment, pages, answers)
    items = pages[number - 1].items
    first = next((it.id for it in items if it.id not in answers), items[0].id)
    return number, first


def resume_page(assignment: Assignment, pages: Sequence[Page], answers: Mapping[str, Any]) -> int:
    """Where to (re)start: the page where the person stopped, else the first page with an
    unanswered item, else page 1."""
    if 1 <= assignment.current_page <= len(pages):
        return assignment.current_page
    for page in pages:
        if any(it.id not in answers for it in page.items):
            return page.number
    return 1
