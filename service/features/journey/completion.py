"""Completing a questionnaire: what is still missing, scoring the stored answers and
keeping the scores with the instrument and norm versions that produced them (the norms
the centre chose for the instrument: shipped, or one of its local versions, see
:mod:`service.features.norms.service`).

An anonymous questionnaire (satisfaction, 6-month follow-up:
:attr:`instruments.model.Instrument.anonymous`) is completed but not scored: no
``ScoreRecord`` is kept for it. Its stored scores could only ever be read one person at
a time (a profile, a flag, an export), which nobody may do; the centre's statistics
score the answers of a whole group when they are shown
(:func:`service.features.followup.satisfaction.centre_statistics`), and validity indices
mean nothing for an opinion.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import (
    DateTime,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from instruments.model import Instrument
from scoring.matrix import from_long
from scoring.norms import NormTable
from scoring.pipeline import score
from service.dates import utcnow
from service.features import webhooks
from service.features.journey.answers import ranking_problems
from service.features.journey.paging import Page, page_of_item, paginate
from service.features.journey.store import ASSIGNMENTS, AssignmentClosed, stored_answers
from service.features.norms import service as local_norms
from service.features.notices import service as notices
from service.models import (
    Assignment,
    PageTiming,
    ScoreRecord,
)
from service.models.states import AssignmentStatus

log = logging.getLogger(__name__)


# --- completion and scoring ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    item_id: str
    page: int
    message: str


def completion_problems(
    instrument: Instrument, answers: Mapping[str, Any], pages: Sequence[Page]
) -> list[Problem]:
    """What prevents completion: required items unanswered, ranking blocks half-done or
    with a rank used twice; in the order of the questionnaire."""
    problems: dict[str, str] = {}
    for item in instrument.items:
        if item.required and answers.get(item.id) is None:
            problems[item.id] = _("Cette question demande une réponse.")
    for item_id, message in ranking_problems(instrument, answers).items():
        problems.setdefault(item_id, message)
    out = []
    for item in instrument.items:
        if item.id in problems:
            number = page_of_item(tuple(pages), item.id) or 1
            out.append(Problem(item.id, number, problems[item.id]))
    return out


def unanswered_items(pages: Sequence[Page], answers: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(page number, item id) of every unanswered item, in the order of the questionnaire."""
    return [(p.number, it.id) for p in pages for it in p.items if answers.get(it.id) is None]


def unanswered_pages(pages: Sequence[Page], answers: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(page number, number of unanswered items) for the pages with unanswered items."""
    out = []
    for page in pages:
        n = sum(1 for it in page.items if answers.get(it.id) is None)
        if n:
            out.append((page.number, n))
    return out


def score_answers(
    instrument: Instrument,
    answers: Mapping[str, Any],
    *,
    respondent: int,
    seconds: float,
    norms: NormTable | None = None,
) -> tuple[dict[str, Any], str, str | None]:
    """Score one person's stored answers: (JSON-safe scores, instrument key, norm version).

    ``norms`` is the centre's chosen local table; None uses the instrument's shipped norms.

    The one-row matrix is built and checked by :func:`scoring.matrix.from_long` (a value
    that no longer fits the coding becomes missing and is logged, never a failure at the
    end of a questionnaire); free-text answers are never scored.
    """
    numeric = {it.id for it in instrument.numeric_items}
    rows = [(respondent, k, v) for k, v in answers.items() if k in numeric and v is not None]
    long = pd.DataFrame(rows, columns=["respondent", "item", "value"], dtype=object)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for _r, _k, v in rows):
        # Plain numbers (every format but multiple choice): numeric columns, which the
        # matrix checks with NumPy instead of parsing each as text (10x faster, same values).
        long["value"] = long["value"].astype(np.float64)
    matrix = from_long(instrument, long, invalid="missing")
    for cell in matrix.invalid:
        log.warning("assignment %s: answer not scored: %s", respondent, cell)
    data = matrix.data.reindex(pd.Index([respondent], name="respondent"))
    secs = pd.Series([seconds], index=data.index) if seconds > 0 else None
    result = score(instrument, data, seconds=secs, norms=norms if norms is not None else True)
    return json_safe(result.table.iloc[0]), result.instrument_key, result.norm_version


def json_safe(row: pd.Series) -> dict[str, Any]:
    """A score-table row as plain JSON values (NaN and NA as None, NumPy scalars unboxed).

    Examples
    --------
    >>> json_safe(pd.Series({"a.mean": np.float64(2.5), "a.n": np.int32(4), "b.t": np.nan,
    ...                      "flag": np.bool_(True), "code": "S[AE]", "x": pd.NA}))
    {'a.mean': 2.5, 'a.n': 4, 'b.t': None, 'flag': True, 'code': 'S[AE]', 'x': None}
    """
    out: dict[str, Any] = {}
    for key, value in row.items():
        v: Any = value
        if isinstance(v, np.generic):
            v = v.item()
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out[str(key)] = None
        elif isinstance(v, bool | int | float | str):
            out[str(key)] = v
        else:
            out[str(key)] = str(v)
    return out


@dataclass(frozen=True)
class Completion:
    """What :func:`complete` did: ``problems`` (nothing changed), or completed with its
    ``record`` (None for an anonymous questionnaire, which is not scored)."""

    problems: tuple[Problem, ...] = ()
    record: ScoreRecord | None = None

    @property
    def completed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Prepared:
    """Scores computed before the write lock (:func:`prepare`) from ``answers``,
    ``seconds`` and the norm table ``norms`` (its data, None for the shipped norms):
    :func:`complete` uses them only when what it reads under the lock is the same, so the
    record is the one it would compute itself."""

    answers: dict[str, Any]
    seconds: float
    norms: dict[str, Any] | None
    scored: tuple[dict[str, Any], str, str | None]


def _inputs(
    session: Session, assignment: Assignment, instrument: Instrument
) -> tuple[dict[str, Any], float, NormTable | None]:
    answers = stored_answers(session, assignment.id)
    seconds = session.scalar(
        select(func.coalesce(func.sum(PageTiming.seconds), 0.0)).where(
            PageTiming.assignment_id == assignment.id
        )
    )
    norms = local_norms.chosen_table(session, assignment.bilan.centre_id, instrument)
    return dict(answers), float(seconds or 0.0), norms


def prepare(
    session: Session,
    assignment: Assignment,
    instrument: Instrument,
    answers: Mapping[str, Any],
    seconds: float,
) -> Prepared:
    """Score ``answers`` (the whole questionnaire as it will be stored) and ``seconds``
    (its total time) before taking the write lock: a paper submission's scoring then does
    not hold the database's write lock (SQLite: one writer at a time) while it runs."""
    norms = local_norms.chosen_table(session, assignment.bilan.centre_id, instrument)
    scored = score_answers(
        instrument, answers, respondent=assignment.id, seconds=seconds, norms=norms
    )
    return Prepared(dict(answers), float(seconds), None if norms is None else norms.data, scored)


def complete(
    session: Session,
    assignment: Assignment,
    instrument: Instrument,
    *,
    per_page: int,
    prepared: Prepared | None = None,
) -> Completion:
    """Finish a questionnaire: check it, mark it completed, score it, store the scores.

    Returns the problems (nothing changed) or the stored :class:`ScoreRecord` (none for
    an anonymous questionnaire: see the module docstring). Raises
    :class:`AssignmentClosed` when it was already completed (e.g. a double submit). The
    caller commits.
    """
    pages = paginate(instrument, per_page)
    problems = completion_problems(instrument, stored_answers(session, assignment.id), pages)
    if problems:
        return Completion(problems=tuple(problems))
    table = ASSIGNMENTS
    now = utcnow()
    done = session.execute(
        update(table)
        .where(table.c.id == assignment.id, table.c.status != AssignmentStatus.COMPLETED)
        .values(
            status=AssignmentStatus.COMPLETED,
            completed_at=now,
            started_at=func.coalesce(
                table.c.started_at, bindparam("now", now, type_=DateTime(timezone=True))
            ),
        )
    )
    if not getattr(done, "rowcount", 0):
        raise AssignmentClosed(assignment.id)
    notices.questionnaire_completed(session, assignment, instrument)
    if instrument.anonymous:
        session.expire(assignment)
        return Completion()
    # Read again under the row lock: these are the answers that are scored.
    answers, seconds, norms = _inputs(session, assignment, instrument)
    if (
        prepared is not None
        and prepared.answers == answers
        and prepared.seconds == seconds
        and prepared.norms == (None if norms is None else norms.data)
    ):
        scores, key, norm_version = prepared.scored
    else:
        scores, key, norm_version = score_answers(
            instrument, answers, respondent=assignment.id, seconds=seconds, norms=norms
        )
    record = ScoreRecord(
        assignment_id=assignment.id, instrument_key=key, norm_version=norm_version, scores=scores
    )
    session.add(record)
    session.flush()
    webhooks.questionnaire_completed(session, assignment, instrument)
    session.expire(assignment)
    return Completion(record=record)


def problem_message(problems: Sequence[Problem], instrument: Instrument, lang: str) -> str:
    """One sentence naming the first problem found at completion and how many there are."""
    first = problems[0]
    text = instrument.item(first.item_id).text.get(lang)
    short = text if len(text) <= 80 else text[:77] + "…"
    return str(
        ngettext(
            "Avant de terminer : « %(item)s » (page %(page)s). %(message)s",
            "Avant de terminer, %(num)d points sont à revoir, dont « %(item)s » (page %(page)s)."
            " %(message)s",
            len(problems),
            item=short,
            page=first.page,
            message=first.message,
        )
    )
