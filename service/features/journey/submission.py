"""A whole questionnaire submitted at once (a paper administration typed in elsewhere and
sent through the API): the checks of the pages, then the completion of the pages.

Every value goes through :func:`~service.features.journey.answers.parse_value` (the
validator of the page forms), the completion through
:func:`~service.features.journey.completion.completion_problems` (required items, ranking
blocks) and :func:`~service.features.journey.completion.complete` (status, scores with
their instrument and norm versions): the same messages and the same scores as the pages.
All or nothing: when anything is refused, nothing is written (the caller rolls back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from instruments.model import Instrument
from service.features.journey.answers import AnswerError, parse_value, ranking_problems
from service.features.journey.completion import (
    Problem,
    complete,
    completion_problems,
    prepare,
    problem_message,
)
from service.features.journey.paging import page_of_item, paginate
from service.features.journey.store import (
    AssignmentClosed,
    add_page_seconds,
    added_seconds,
    clear_answer,
    open_for_answers,
    stored_answers,
    stored_seconds,
    upsert_answers,
)
from service.models import Assignment, ScoreRecord


def unknown_item_message() -> str:
    """The refusal of an item id that is not in the questionnaire (as the autosave says)."""
    return str(_("Cette question ne fait pas partie du questionnaire."))


def check_answers(
    instrument: Instrument,
    submitted: Mapping[str, object],
    stored: Mapping[str, Any],
    *,
    finish: bool,
    per_page: int,
) -> tuple[dict[str, Any], list[Problem]]:
    """Parse ``submitted`` (item id -> raw value; None clears) over the ``stored``
    answers: (item id -> value to store, or None to clear; the problems).

    The problems come in the order of the questionnaire, then the unknown item ids (page
    0). With ``finish``, what prevents completion is a problem too (a required item left
    unanswered, a ranking block half-ranked); otherwise only a rank given twice is. Each
    item has its first problem only, with the message its page would show. Writes nothing.
    """
    pages = paginate(instrument, per_page)
    values: dict[str, Any] = {}
    messages: dict[str, str] = {}
    unknown: list[str] = []
    for item_id, raw in submitted.items():
        try:
            item = instrument.item(item_id)
        except KeyError:
            unknown.append(item_id)
            continue
        try:
            values[item.id] = parse_value(instrument.formats[item.format], raw)
        except AnswerError as exc:
            messages[item.id] = str(exc)
    merged = {k: v for k, v in {**stored, **values}.items() if v is not None}
    for key in messages:  # a refused value counts as not given
        merged.pop(key, None)
    if finish:
        for found in completion_problems(instrument, merged, pages):
            messages.setdefault(found.item_id, found.message)
    else:
        for item_id, message in ranking_problems(instrument, merged, complete=False).items():
            messages.setdefault(item_id, message)
    problems = [
        Problem(item.id, page_of_item(tuple(pages), item.id) or 1, messages[item.id])
        for item in instrument.items
        if item.id in messages
    ]
    problems.extend(Problem(item_id, 0, unknown_item_message()) for item_id in unknown)
    return values, problems


def summary(problems: Sequence[Problem], instrument: Instrument, lang: str) -> str:
    """One sentence about the problems: the pages' (:func:`problem_message`) when the
    first is an item of the questionnaire, else how many answers name no item."""
    if problems[0].page:
        return problem_message(problems, instrument, lang)
    return str(
        ngettext(
            "%(num)d réponse ne correspond à aucune question du questionnaire.",
            "%(num)d réponses ne correspondent à aucune question du questionnaire.",
            len(problems),
        )
    )


@dataclass(frozen=True)
class Submission:
    """What :func:`submit` did: ``problems`` (the caller rolls back: nothing is kept), or
    the answers stored and, when ``completed``, the questionnaire's ``record`` (None for
    an anonymous questionnaire, which is not scored)."""

    problems: tuple[Problem, ...] = ()
    completed: bool = False
    record: ScoreRecord | None = None


def submit(
    session: Session,
    assignment: Assignment,
    instrument: Instrument,
    submitted: Mapping[str, object],
    *,
    seconds: float = 0.0,
    finish: bool = True,
    per_page: int,
) -> Submission:
    """Check and store a whole questionnaire's answers, then (``finish``) complete and
    score it as "Terminer" does. ``seconds`` (the time the person took, if known) is
    added to the time of the first page.

    Raises :class:`AssignmentClosed` when the questionnaire is completed. With problems,
    something may have been written already (the assignment marked in progress): the
    caller rolls back; otherwise it commits.
    """
    # Checked and scored before the write lock (SQLite: one writer at a time), on what is
    # stored now; under the lock, complete() uses these scores only if nothing changed.
    early = stored_answers(session, assignment.id)
    values, problems = check_answers(instrument, submitted, early, finish=finish, per_page=per_page)
    if problems:
        return Submission(problems=tuple(problems))
    prepared = None
    if finish and not instrument.anonymous:
        merged = {k: v for k, v in {**early, **values}.items() if v is not None}
        before = stored_seconds(session, assignment.id)
        prepared = prepare(session, assignment, instrument, merged, before + added_seconds(seconds))
    if not open_for_answers(session, assignment.id):  # the row lock
        raise AssignmentClosed(assignment.id)
    stored = stored_answers(session, assignment.id)
    if stored != early:  # answered meanwhile (the pages): check again under the lock
        values, problems = check_answers(
            instrument, submitted, stored, finish=finish, per_page=per_page
        )
        if problems:
            return Submission(problems=tuple(problems))
    for item_id, value in values.items():
        if value is None and item_id in stored:
            clear_answer(session, assignment.id, item_id)
    changed = {k: v for k, v in values.items() if v is not None and stored.get(k) != v}
    upsert_answers(session, assignment.id, changed)
    if seconds > 0:
        add_page_seconds(session, assignment.id, 1, seconds)
    if not finish:
        session.expire(assignment)
        return Submission()
    outcome = complete(session, assignment, instrument, per_page=per_page, prepared=prepared)
    if outcome.problems:  # pragma: no cover - checked above, under the same lock
        return Submission(problems=outcome.problems)
    return Submission(completed=True, record=outcome.record)
