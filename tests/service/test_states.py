"""Statuses are written once: the enums and their transitions, the CHECK constraints the
migration puts on the columns, and the questions the pages ask of the model."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service.extensions import db
from service.models import Assignment, Bilan
from service.models.states import RUNNING, TRANSITIONS, AssignmentStatus, BilanStatus
from service.models.types import UTCDateTime
from tests.service.conftest import World


@pytest.mark.parametrize(
    ("table", "row_id"), [("bilan", "bilan"), ("assignment", "other_assignment")]
)
def test_the_database_refuses_an_unknown_status(
    db_app: Flask, world: World, table: str, row_id: str
) -> None:
    with db_app.app_context(), pytest.raises(IntegrityError), db.standalone() as s:
        s.execute(
            text(f"UPDATE {table} SET status = 'en_pause' WHERE id = :id"),
            {"id": getattr(world, row_id)},
        )


def test_statuses_come_back_as_enums_and_answer_questions(db_app: Flask, world: World) -> None:
    with db_app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assignment = s.get(Assignment, world.other_assignment)
        assert bilan is not None and assignment is not None
        assert bilan.status is BilanStatus.PRELIMINAIRE and bilan.is_running
        assert not bilan.is_closed
        assert assignment.status is AssignmentStatus.NOT_STARTED
        assert not assignment.is_completed and not assignment.is_in_progress
        bilan.status = BilanStatus.CLOS
        assignment.status = AssignmentStatus.COMPLETED
    with db_app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assignment = s.get(Assignment, world.other_assignment)
        assert bilan is not None and assignment is not None
        assert bilan.is_closed and not bilan.is_running
        assert assignment.is_completed


def test_transitions_cover_every_status_and_stay_inside_them() -> None:
    assert set(TRANSITIONS) == set(BilanStatus)
    for source, targets in TRANSITIONS.items():
        assert source not in targets
        assert set(targets) <= set(BilanStatus)
    assert {s for s in BilanStatus if s.is_running} == RUNNING
    assert BilanStatus.CLOS.next_on_record() == ()


def test_labels_are_french_words_not_codes(app: Flask) -> None:
    with app.test_request_context("/"):
        assert BilanStatus.INVESTIGATION.label == "Phase d’investigation"
        assert AssignmentStatus.IN_PROGRESS.label == "En cours"


def test_utc_datetime_refuses_a_naive_moment_and_returns_aware_utc() -> None:
    column = UTCDateTime()
    dialect = db_dialect()
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 12, 2, 9, 0), dialect)
    paris = dt.timezone(dt.timedelta(hours=1))
    bound = column.process_bind_param(dt.datetime(2026, 12, 2, 10, 0, tzinfo=paris), dialect)
    assert bound == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC) and bound.tzinfo is dt.UTC
    # SQLite gives back what it stored without an offset: it was UTC.
    back = column.process_result_value(dt.datetime(2026, 12, 2, 9, 0), dialect)
    assert back == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def db_dialect():  # type: ignore[no-untyped-def]
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()
