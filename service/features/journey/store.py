"""Storage of answers and page times: prebuilt Core statements, upserts (one row per
assignment and item, whatever the number of submits), conditional ``UPDATE`` statements so
that no answer is accepted once a questionnaire is completed, and the one-query state an
autosave decides on. Answers are stored as given (item id -> JSON value).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.dates import utcnow
from service.models import (
    Answer,
    Assignment,
    Bilan,
    Consent,
    PageTiming,
)
from service.models.states import AssignmentStatus

log = logging.getLogger(__name__)


ANSWERS = cast(Table, Answer.__table__)
TIMINGS = cast(Table, PageTiming.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
BILANS = cast(Table, Bilan.__table__)
CONSENTS = cast(Table, Consent.__table__)

#: Time counted for one visit of a page at most (a page left open overnight is not 8 h of work).
MAX_PAGE_SECONDS = 30 * 60


class AssignmentClosed(RuntimeError):
    """The questionnaire is completed: no answer can be changed any more."""


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
# Idempotent page time: the increment (visit, seq) is claimed unless the row already holds
# it or a later one of the same visit.
_TPAGE = bindparam("tpage", type_=Integer)
_VISIT = bindparam("visit", type_=String)
_SEQ = bindparam("seq", type_=Integer)
_CLAIM_TIMING = (
    update(TIMINGS)
    .where(
        TIMINGS.c.assignment_id == _AID,
        TIMINGS.c.page == _TPAGE,
        or_(
            TIMINGS.c.client_visit.is_(None),
            TIMINGS.c.client_seq.is_(None),
            TIMINGS.c.client_visit != _VISIT,
            TIMINGS.c.client_seq < _SEQ,
        ),
    )
    .values(client_visit=_VISIT, client_seq=_SEQ)
)
_TIMING_EXISTS = select(TIMINGS.c.id).where(
    TIMINGS.c.assignment_id == _AID, TIMINGS.c.page == _TPAGE
)
_INSERT_CLAIM = TIMINGS.insert().values(
    assignment_id=_AID, page=_TPAGE, seconds=0.0, client_visit=_VISIT, client_seq=_SEQ
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


def upsert_answers(session: Executor, assignment_id: int, values: dict[str, Any]) -> None:
    """Store several answers at once (one statement, many parameter sets where the
    database has an upsert; else one :func:`upsert_answer` each)."""
    if not values:
        return
    upserts = _upserts(session)
    if upserts is None:
        for item_id, value in values.items():
            upsert_answer(session, assignment_id, item_id, value)
        return
    now = utcnow()
    session.execute(
        upserts[0],
        [{"aid": assignment_id, "item": k, "value": v, "now": now} for k, v in values.items()],
    )


def clear_answer(session: Executor, assignment_id: int, item_id: str) -> None:
    session.execute(_DELETE_ANSWER, {"aid": assignment_id, "item": item_id})


def stored_seconds(session: Session, assignment_id: int) -> float:
    """The time counted on the questionnaire's pages so far, in seconds."""
    total = session.scalar(
        select(func.coalesce(func.sum(PageTiming.seconds), 0.0)).where(
            PageTiming.assignment_id == assignment_id
        )
    )
    return float(total or 0.0)


def added_seconds(seconds: float) -> float:
    """What :func:`add_page_seconds` adds for ``seconds`` (capped per call)."""
    return float(min(seconds, MAX_PAGE_SECONDS)) if seconds and seconds > 0 else 0.0


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


def claim_page_increment(
    session: Session, assignment_id: int, page: int, *, visit: str, seq: int
) -> bool:
    """True when the autosave script's page-time increment ``seq`` of page visit ``visit``
    was not counted yet (it is then recorded as the page's last one): a request retried
    after its response was lost carries the same numbers and is not counted twice. A row
    for the page is made (0 seconds) when there is none. The caller adds the seconds."""
    params = {"aid": assignment_id, "tpage": page, "visit": visit, "seq": seq}
    if _rowcount(session.execute(_CLAIM_TIMING, params)) > 0:
        return True
    if session.execute(_TIMING_EXISTS, params).first() is not None:
        return False  # this increment, or a later one of the same visit, is counted
    try:
        with session.begin_nested():
            session.execute(_INSERT_CLAIM, params)
    except IntegrityError:  # the page's row was made meanwhile (the page form)
        return _rowcount(session.execute(_CLAIM_TIMING, params)) > 0
    return True


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
