"""The beneficiary's journey: consent, answering, progress, completion, results.

Business logic of the ``beneficiary`` blueprint. Routes load the records, check access
with :mod:`service.access`, call one function here and render; templates receive
ready-to-print values. Functions take the database session and the values they need as
arguments; they never read ``flask.request``, ``session`` or ``g`` (they use gettext for
messages, which follows the request's locale).

Answers are stored as given (item id -> JSON value: a number, a list of option codes for
multiple choice, a string for free text), only after they were checked against the
instrument's declared coding. One row per (assignment, item): writes are upserts, so a
double submit or two open tabs never duplicate an answer. An assignment moves to
``in_progress`` and to ``completed`` through conditional ``UPDATE`` statements, so that no
answer is accepted once the questionnaire is completed, even under concurrent requests.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Float,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from instruments.model import Instrument, Item, ResponseFormat
from scoring.matrix import from_long
from scoring.pipeline import score
from service import access
from service.dates import utcnow
from service.features.journey.pages import Page, page_of_item, paginate
from service.models import (
    Answer,
    Assignment,
    Beneficiary,
    Bilan,
    Consent,
    PageTiming,
    ScoreRecord,
)
from service.models.states import AssignmentStatus

log = logging.getLogger(__name__)

ANSWERS = cast(Table, Answer.__table__)
TIMINGS = cast(Table, PageTiming.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
BILANS = cast(Table, Bilan.__table__)
CONSENTS = cast(Table, Consent.__table__)

#: Version of the consent text shown on the consent page (templates/beneficiary/consent.html).
#: Change it whenever the text changes: every decision records the version it answered.
CONSENT_VERSION = "2026-11-v1"

#: Time counted for one visit of a page at most (a page left open overnight is not 8 h of work).
MAX_PAGE_SECONDS = 30 * 60

#: Length limit of a free-text answer whose format declares none.
DEFAULT_TEXT_MAX = 5000

CHOICE_TYPES = frozenset({"likert", "rating", "binary", "single_choice", "forced_choice"})


class AnswerError(ValueError):
    """An answer outside the item's declared coding; ``str(exc)`` is the message to show."""

    def __init__(self, message: str, item_id: str | None = None):
        super().__init__(message)
        self.item_id = item_id


class AssignmentClosed(RuntimeError):
    """The questionnaire is completed: no answer can be changed any more."""


# --- instruments and codes ----------------------------------------------------------------


def instrument_for(
    instruments: Mapping[str, Instrument], assignment: Assignment
) -> Instrument | None:
    """The loaded instrument of an assignment, or None when that version is not loaded."""
    return loaded_instrument(instruments, assignment.instrument_id, assignment.instrument_version)


def loaded_instrument(
    instruments: Mapping[str, Instrument], instrument_id: str, version: str
) -> Instrument | None:
    """The loaded instrument with this id and version, or None when it is not loaded."""
    inst = instruments.get(instrument_id)
    if inst is None or inst.version != version:
        return None
    return inst


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
        value = float(raw)
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
    if fmt.type == "multiple_choice":
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
    lo, hi = fmt.coding_range
    if not lo <= value <= hi:
        raise AnswerError(
            _(
                "Indiquez un nombre entre %(min)s et %(max)s.",
                min=_show_number(lo),
                max=_show_number(hi),
            )
        )
    if fmt.step is not None:
        steps = (value - lo) / fmt.step
        if not math.isclose(steps, round(steps), abs_tol=1e-9):
            if fmt.step == 1 and float(lo).is_integer():
                raise AnswerError(_("Indiquez un nombre entier."))
            raise AnswerError(
                _(
                    "Indiquez un nombre par pas de %(step)s à partir de %(min)s.",
                    step=_show_number(fmt.step),
                    min=_show_number(lo),
                )
            )
    return _plain(value)


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


# --- storage ------------------------------------------------------------------------------


# Statements are built once with bound parameters: SQLAlchemy then reuses their compiled
# form, which keeps the autosave request cheap (it is the hot path of the service).
_AID = bindparam("aid", type_=Integer)
_NOW = bindparam("now", type_=DateTime(timezone=True))

_DELETE_ANSWER = delete(ANSWERS).where(
    ANSWERS.c.assignment_id == _AID, ANSWERS.c.item_id == bindparam("item")
)
_UPDATE_ANSWER = (
    update(ANSWERS)
    .where(ANSWERS.c.assignment_id == _AID, ANSWERS.c.item_id == bindparam("item"))
    .values(value=bindparam("value", type_=ANSWERS.c.value.type), answered_at=_NOW)
)
_INSERT_ANSWER = ANSWERS.insert().values(
    assignment_id=_AID,
    item_id=bindparam("item"),
    value=bindparam("value", type_=ANSWERS.c.value.type),
    answered_at=_NOW,
)
_UPDATE_TIMING = (
    update(TIMINGS)
    .where(TIMINGS.c.assignment_id == _AID, TIMINGS.c.page == bindparam("page"))
    .values(seconds=TIMINGS.c.seconds + bindparam("seconds", type_=Float))
)
_INSERT_TIMING = TIMINGS.insert().values(
    assignment_id=_AID, page=bindparam("page"), seconds=bindparam("seconds", type_=Float)
)
_COUNT_ANSWERS = select(func.count()).select_from(ANSWERS).where(ANSWERS.c.assignment_id == _AID)
# In progress (current page kept when :page is NULL) unless completed.
_OPEN = (
    update(ASSIGNMENTS)
    .where(ASSIGNMENTS.c.id == _AID, ASSIGNMENTS.c.status != AssignmentStatus.COMPLETED)
    .values(
        status=AssignmentStatus.IN_PROGRESS,
        started_at=func.coalesce(ASSIGNMENTS.c.started_at, _NOW),
        current_page=func.coalesce(bindparam("page", type_=Integer), ASSIGNMENTS.c.current_page),
    )
)
# The answers stored for the other items of the assignment: with the item being saved, the
# progress after the save (whatever the order of the writes).
_COUNT_OTHERS = _COUNT_ANSWERS.where(ANSWERS.c.item_id != bindparam("item"))
_OPEN_COUNTING_OTHERS = _OPEN.returning(_COUNT_OTHERS.scalar_subquery())
# The latest consent decision recorded by the bilan's beneficiary for the assignment's bilan
# (as access.has_consented picks it): NULL when there is none.
_LATEST_CONSENT = (
    select(CONSENTS.c.accepted)
    .where(
        CONSENTS.c.bilan_id == ASSIGNMENTS.c.bilan_id,
        CONSENTS.c.beneficiary_id == BILANS.c.beneficiary_id,
    )
    .order_by(CONSENTS.c.recorded_at.desc(), CONSENTS.c.id.desc())
    .limit(1)
    .correlate(ASSIGNMENTS, BILANS)
    .scalar_subquery()
)
_ANSWERING_STATE = (
    select(
        BILANS.c.beneficiary_id,
        ASSIGNMENTS.c.status,
        ASSIGNMENTS.c.instrument_id,
        ASSIGNMENTS.c.instrument_version,
        _LATEST_CONSENT.label("consented"),
    )
    .select_from(ASSIGNMENTS.join(BILANS, BILANS.c.id == ASSIGNMENTS.c.bilan_id))
    .where(ASSIGNMENTS.c.id == _AID)
)
_UPSERTS: dict[str, tuple[Any, Any]] = {}


#: A session, or the connection of one (the autosave's statements skip the ORM layer).
Executor = Session | Connection


def _dialect_name(db: Executor) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def _upserts(db: Executor) -> tuple[Any, Any] | None:
    """(answer upsert, timing upsert) statements for this database, or None when its
    dialect has no ON CONFLICT clause (then: update, else insert)."""
    name = _dialect_name(db)
    if name in _UPSERTS:
        return _UPSERTS[name]
    insert: Any
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert = pg_insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert
    else:
        return None
    answer = insert(ANSWERS).values(
        assignment_id=_AID,
        item_id=bindparam("item"),
        value=bindparam("value", type_=ANSWERS.c.value.type),
        answered_at=_NOW,
    )
    answer = answer.on_conflict_do_update(
        index_elements=["assignment_id", "item_id"],
        set_={"value": answer.excluded.value, "answered_at": answer.excluded.answered_at},
    )
    timing = insert(TIMINGS).values(
        assignment_id=_AID, page=bindparam("page"), seconds=bindparam("seconds", type_=Float)
    )
    timing = timing.on_conflict_do_update(
        index_elements=["assignment_id", "page"],
        set_={"seconds": TIMINGS.c.seconds + timing.excluded.seconds},
    )
    _UPSERTS[name] = (answer, timing)
    return _UPSERTS[name]


def _pg_record(clear: bool) -> Any:
    """PostgreSQL: the whole autosave write in one statement (one round trip).

    ``opened`` marks the assignment in progress unless it is completed, taking its row
    lock first; the answer write (upsert, or delete with ``clear``) and the page time
    (when ``:timed``) read their row from ``opened``, so nothing is written to a completed
    questionnaire. The statement returns one row, the number of answers to the other items
    (:func:`record_answer` adds this one), or no row when the questionnaire is completed.
    """
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    opened = _OPEN.returning(ASSIGNMENTS.c.id).cte("opened")
    item = bindparam("item", type_=ANSWERS.c.item_id.type)
    write: Any
    if clear:
        write = delete(ANSWERS).where(
            ANSWERS.c.assignment_id == opened.c.id, ANSWERS.c.item_id == item
        )
    else:
        answer = pg_insert(ANSWERS).from_select(
            ["assignment_id", "item_id", "value", "answered_at"],
            select(opened.c.id, item, bindparam("value", type_=ANSWERS.c.value.type), _NOW),
        )
        write = answer.on_conflict_do_update(
            index_elements=["assignment_id", "item_id"],
            set_={"value": answer.excluded.value, "answered_at": answer.excluded.answered_at},
        )
    timing = pg_insert(TIMINGS).from_select(
        ["assignment_id", "page", "seconds"],
        select(
            opened.c.id, bindparam("page", type_=Integer), bindparam("seconds", type_=Float)
        ).where(bindparam("timed", type_=Boolean)),
    )
    timing = timing.on_conflict_do_update(
        index_elements=["assignment_id", "page"],
        set_={"seconds": TIMINGS.c.seconds + timing.excluded.seconds},
    )
    return (
        select(_COUNT_OTHERS.scalar_subquery())
        .select_from(opened)
        .add_cte(write.cte("answer_write"), timing.cte("timing_write"))
    )


_PG_RECORD = {clear: _pg_record(clear) for clear in (False, True)}


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def upsert_answer(session: Executor, assignment_id: int, item_id: str, value: Any) -> None:
    """Store an answer, replacing any previous one for the same item (never a second row)."""
    params = {"aid": assignment_id, "item": item_id, "value": value, "now": utcnow()}
    upserts = _upserts(session)
    if upserts is not None:
        session.execute(upserts[0], params)
        return
    # Other databases: update, else insert; a concurrent insert loses to the unique key.
    if _rowcount(session.execute(_UPDATE_ANSWER, params)) == 0:
        try:
            session.execute(_INSERT_ANSWER, params)
        except IntegrityError:  # pragma: no cover - only on databases without upsert
            session.execute(_UPDATE_ANSWER, params)


def clear_answer(session: Executor, assignment_id: int, item_id: str) -> None:
    session.execute(_DELETE_ANSWER, {"aid": assignment_id, "item": item_id})


def add_page_seconds(session: Executor, assignment_id: int, page: int, seconds: float) -> None:
    """Add time spent on a page (accumulated across visits, one row per page)."""
    if not seconds or seconds <= 0:
        return
    params = {"aid": assignment_id, "page": page, "seconds": float(min(seconds, MAX_PAGE_SECONDS))}
    upserts = _upserts(session)
    if upserts is not None:
        session.execute(upserts[1], params)
    elif _rowcount(session.execute(_UPDATE_TIMING, params)) == 0:
        session.execute(_INSERT_TIMING, params)


def open_for_answers(session: Session, assignment_id: int, *, page: int | None = None) -> bool:
    """Mark the assignment in progress (and its current page) unless it is completed.

    One conditional UPDATE: it also takes the row's write lock, so that an answer and the
    completion of the same questionnaire are serialised. False when it is completed.
    """
    params = {"aid": assignment_id, "page": page, "now": utcnow()}
    return _rowcount(session.execute(_OPEN, params)) > 0


def record_answer(
    session: Session,
    assignment_id: int,
    item_id: str,
    value: Any,
    *,
    page: int | None,
    seconds: float,
) -> int | None:
    """Store one checked answer (``value`` None clears it), add ``seconds`` to the page's
    time (when a page is given) and mark the assignment in progress, on that page.

    Returns the number of answers now stored, or None when the questionnaire is completed:
    then nothing was written. The assignment's conditional UPDATE comes first, under its
    row lock (SQLite: the database's write lock), so an answer and the completion of the
    same questionnaire are serialised. PostgreSQL does it all in one statement; SQLite in
    three; other databases in a few more. The caller commits.
    """
    conn = session.connection()
    dialect = conn.dialect
    secs = float(min(seconds, MAX_PAGE_SECONDS)) if seconds and seconds > 0 else 0.0
    timed = bool(secs) and page is not None
    params = {
        "aid": assignment_id,
        "item": item_id,
        "value": value,
        "page": page,
        "seconds": secs,
        "timed": timed,
        "now": utcnow(),
    }
    this = 0 if value is None else 1
    if dialect.name == "postgresql":
        row = conn.execute(_PG_RECORD[value is None], params).first()
        return None if row is None else int(row[0]) + this
    if dialect.update_returning:
        row = conn.execute(_OPEN_COUNTING_OTHERS, params).first()
        if row is None:
            return None
        others: int | None = int(row[0])
    elif _rowcount(conn.execute(_OPEN, params)) == 0:
        return None
    else:
        others = None
    if value is None:
        clear_answer(conn, assignment_id, item_id)
    else:
        upsert_answer(conn, assignment_id, item_id, value)
    if timed:
        add_page_seconds(conn, assignment_id, cast(int, page), secs)
    return others + this if others is not None else count_answered(conn, assignment_id)


def stored_answers(session: Session, assignment_id: int) -> dict[str, Any]:
    """Item id -> stored value for one assignment."""
    rows = session.execute(
        select(Answer.item_id, Answer.value).where(Answer.assignment_id == assignment_id)
    )
    return dict(rows.all())


def count_answered(session: Executor, assignment_id: int) -> int:
    return int(session.scalar(_COUNT_ANSWERS, {"aid": assignment_id}) or 0)


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


def consents_of(session: Session, beneficiary_id: int) -> list[Consent]:
    """Every consent decision of a person (``access.has_consented`` picks the latest)."""
    return list(
        session.scalars(select(Consent).where(Consent.beneficiary_id == beneficiary_id)).all()
    )


def latest_consent(consents: Sequence[Consent], bilan_id: int) -> Consent | None:
    return max(
        (c for c in consents if c.bilan_id == bilan_id),
        key=lambda c: (c.recorded_at, c.id),
        default=None,
    )


def record_consent(
    session: Session,
    bilan: Bilan,
    beneficiary: Beneficiary,
    *,
    accepted: bool,
    keep_for_followup: bool,
    text_version: str = CONSENT_VERSION,
) -> Consent:
    """Record a decision (a new row each time: the history is kept as evidence)."""
    consent = Consent(
        bilan_id=bilan.id,
        beneficiary_id=beneficiary.id,
        text_version=text_version,
        accepted=accepted,
        keep_for_followup=bool(accepted and keep_for_followup),
        recorded_at=utcnow(),
    )
    session.add(consent)
    session.flush()
    return consent


# --- answering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnsweringState:
    """What deciding on an autosave needs, read in one query (plain values, no records)."""

    assignment_id: int
    owner_id: int  # the beneficiary of the assignment's bilan
    status: str
    instrument_id: str
    instrument_version: str
    consented: bool  # the latest consent decision for the bilan is an acceptance


def answering_state(session: Session, assignment_id: int) -> AnsweringState | None:
    """The assignment's owner, status, instrument and consent state, or None when there is
    no such assignment. One SELECT, no ORM objects: the autosave runs it on every answer.
    The decision belongs to :func:`service.access.answer_refusal`."""
    row = session.execute(_ANSWERING_STATE, {"aid": assignment_id}).first()
    if row is None:
        return None
    owner_id, status, instrument_id, version, consented = row
    return AnsweringState(
        assignment_id, int(owner_id), str(status), str(instrument_id), str(version), bool(consented)
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
    per_page: int,
) -> Saved:
    """Check and store one answer (``raw`` None clears it); returns the new progress.

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
    answered = record_answer(
        session, assignment_id, item.id, value, page=page_number, seconds=_seconds(seconds)
    )
    if answered is None:
        raise AssignmentClosed(assignment_id)
    total = len(instrument.items)
    return Saved(answered, total, progress_percent(answered, total))


def _page_number(page: object, n_pages: int) -> int | None:
    if isinstance(page, bool):
        return None
    if isinstance(page, str) and page.isdigit():
        page = int(page)
    if isinstance(page, int) and 1 <= page <= n_pages:
        return page
    return None


def _seconds(seconds: object) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        return 0.0
    try:
        value = float(seconds)
    except ValueError:
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
    for item in page.items:
        value = submitted.get(item.id)
        if value is None or item.id in errors:
            continue
        if item.block is not None and item.block in duplicated_blocks:
            continue
        if stored.get(item.id) != value:
            upsert_answer(session, assignment.id, item.id, value)
        out.saved += 1
    if forward:
        for item in page.items:
            if item.required and merged.get(item.id) is None and item.id not in out.errors:
                out.errors[item.id] = _("Cette question demande une réponse.")
    add_page_seconds(session, assignment.id, page.number, seconds)
    if out.errors:
        return out
    if action == "previous":
        out.target = page.number - 1
    elif action in ("finish", "later") or page.number >= n_pages:
        out.target = page.number
    else:
        out.target = page.number + 1
    if out.target >= 1:
        open_for_answers(session, assignment.id, page=out.target)
    return out


def resume_page(assignment: Assignment, pages: Sequence[Page], answers: Mapping[str, Any]) -> int:
    """Where to (re)start: the page where the person stopped, else the first page with an
    unanswered item, else page 1."""
    if 1 <= assignment.current_page <= len(pages):
        return assignment.current_page
    for page in pages:
        if any(it.id not in answers for it in page.items):
            return page.number
    return 1


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


def unanswered_pages(pages: Sequence[Page], answers: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(page number, number of unanswered items) for the pages with unanswered items."""
    out = []
    for page in pages:
        n = sum(1 for it in page.items if answers.get(it.id) is None)
        if n:
            out.append((page.number, n))
    return out


def score_answers(
    instrument: Instrument, answers: Mapping[str, Any], *, respondent: int, seconds: float
) -> tuple[dict[str, Any], str, str | None]:
    """Score one person's stored answers: (JSON-safe scores, instrument key, norm version).

    The one-row matrix is built and checked by :func:`scoring.matrix.from_long` (a value
    that no longer fits the coding becomes missing and is logged, never a failure at the
    end of a questionnaire); free-text answers are never scored.
    """
    numeric = {it.id for it in instrument.numeric_items}
    rows = [(respondent, k, v) for k, v in answers.items() if k in numeric and v is not None]
    long = pd.DataFrame(rows, columns=["respondent", "item", "value"], dtype=object)
    matrix = from_long(instrument, long, invalid="missing")
    for cell in matrix.invalid:
        log.warning("assignment %s: answer not scored: %s", respondent, cell)
    data = matrix.data.reindex(pd.Index([respondent], name="respondent"))
    secs = pd.Series([seconds], index=data.index) if seconds > 0 else None
    result = score(instrument, data, seconds=secs, norms=True)
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
    problems: tuple[Problem, ...] = ()
    record: ScoreRecord | None = None


def complete(
    session: Session, assignment: Assignment, instrument: Instrument, *, per_page: int
) -> Completion:
    """Finish a questionnaire: check it, mark it completed, score it, store the scores.

    Returns the problems (nothing changed) or the stored :class:`ScoreRecord`. Raises
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
    # Read again under the row lock: these are the answers that are scored.
    answers = stored_answers(session, assignment.id)
    seconds = session.scalar(
        select(func.coalesce(func.sum(PageTiming.seconds), 0.0)).where(
            PageTiming.assignment_id == assignment.id
        )
    )
    scores, key, norm_version = score_answers(
        instrument, answers, respondent=assignment.id, seconds=float(seconds or 0.0)
    )
    record = ScoreRecord(
        assignment_id=assignment.id, instrument_key=key, norm_version=norm_version, scores=scores
    )
    session.add(record)
    session.flush()
    session.expire(assignment)
    return Completion(record=record)


# --- views for the templates --------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentSummary:
    id: int
    name: str
    status: str  # not_started | in_progress | completed
    answered: int
    total: int
    percent: int
    minutes: int
    minutes_left: int
    results_available: bool

    @property
    def is_completed(self) -> bool:
        return self.status == AssignmentStatus.COMPLETED

    @property
    def is_in_progress(self) -> bool:
        return self.status == AssignmentStatus.IN_PROGRESS


@dataclass(frozen=True)
class BilanSummary:
    id: int
    title: str
    consent: str  # none | accepted | refused
    consent_at: dt.datetime | None
    keep_for_followup: bool
    assignments: tuple[AssignmentSummary, ...]
    report_available: bool = False


def home_view(
    session: Session,
    principal: Beneficiary,
    instruments: Mapping[str, Instrument],
    consents: Sequence[Consent],
    lang: str,
) -> list[BilanSummary]:
    """The person's bilans with their consent state and questionnaires."""
    bilans = list(principal.bilans)
    ids = [a.id for b in bilans for a in b.assignments]
    counts: dict[int, int] = {}
    if ids:
        counts = {
            aid: int(n)
            for aid, n in session.execute(
                select(Answer.assignment_id, func.count())
                .where(Answer.assignment_id.in_(ids))
                .group_by(Answer.assignment_id)
            )
        }
    out = []
    for bilan in sorted(bilans, key=lambda b: b.id):
        latest = latest_consent(consents, bilan.id)
        rows = []
        for a in bilan.assignments:
            inst = instrument_for(instruments, a)
            if inst is None:
                continue  # a version no longer installed: the counsellor sees it, not here
            answered = counts.get(a.id, 0)
            total = len(inst.items)
            rows.append(
                AssignmentSummary(
                    id=a.id,
                    name=inst.name.get(lang),
                    status=a.status,
                    answered=answered,
                    total=total,
                    percent=progress_percent(answered, total),
                    minutes=max(1, math.ceil(inst.minutes)),
                    minutes_left=minutes_left(inst, answered),
                    results_available=access.can_view_results(principal, a),
                )
            )
        out.append(
            BilanSummary(
                id=bilan.id,
                title=bilan.title,
                consent="none" if latest is None else "accepted" if latest.accepted else "refused",
                consent_at=latest.recorded_at if latest is not None else None,
                keep_for_followup=bool(latest is not None and latest.keep_for_followup),
                assignments=tuple(rows),
                report_available=access.can_view_report(principal, bilan),
            )
        )
    return out


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


# --- assigning ------------------------------------------------------------------------------


class AssignmentRefused(ValueError):
    """A questionnaire cannot be assigned; the message says why (in French)."""


def assign(
    session: Session,
    bilan: Bilan,
    instrument: Instrument,
    *,
    language: str,
    show_results_now: bool,
) -> Assignment:
    """Assign a questionnaire (the instrument's current version) to a bilan."""
    if language not in instrument.languages:
        raise AssignmentRefused(
            _(
                "Le questionnaire « %(name)s » n’existe pas dans cette langue.",
                name=instrument.name.get("fr"),
            )
        )
    open_same = [
        a for a in bilan.assignments if a.instrument_id == instrument.id and not a.is_completed
    ]
    if open_same:
        raise AssignmentRefused(
            _(
                "« %(name)s » est déjà assigné et pas encore terminé.",
                name=instrument.name.get("fr"),
            )
        )
    assignment = Assignment(
        bilan_id=bilan.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        language=language,
        show_results_now=show_results_now,
    )
    session.add(assignment)
    session.flush()
    return assignment
