"""Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from service.db import Base, make_engine
from service.migrate import upgrade


def test_upgrade_from_nothing_matches_the_models(db_url: str, tmp_path: Path) -> None:
    # db_url is already migrated (SQLite copy of a migrated template, or PostgreSQL).
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    upgrade(url)
    upgrade(url)  # a second run changes nothing and does not fail
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    assert version is not None and len(version) >= 4


# A database in use: staff, a bilan that points at them, at a revision before a migration
# that rebuilds staff_user (SQLite batch mode: copy, drop, rename).
BEFORE_REBUILD = "282b7c2bfef1"
ROWS = [
    "INSERT INTO centre (id, name, created_at) VALUES (1, 'C', '2026-01-01 00:00:00')",
    "INSERT INTO staff_user (id, centre_id, email, name, role, password_hash, active, created_at)"
    " VALUES (7, 1, 'c@x.test', 'Camille', 'counsellor', 'h', 1, '2026-01-01 00:00:00')",
    "INSERT INTO beneficiary (id, centre_id, first_name, last_name, language, created_at)"
    " VALUES (3, 1, 'Alex', 'Martin', 'fr', '2026-01-01 00:00:00')",
    "INSERT INTO bilan (id, centre_id, beneficiary_id, title, status, created_at,"
    " convention_signed) VALUES (5, 1, 3, 'Bilan', 'investigation', '2026-01-01 00:00:00', 0)",
    "INSERT INTO bilan_counsellor (bilan_id, staff_user_id) VALUES (5, 7)",
]


def _database_in_use(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'in-use.sqlite'}"
    upgrade(url, BEFORE_REBUILD)
    engine = make_engine(url)
    with engine.begin() as conn:
        for sql in ROWS:
            conn.exec_driver_sql(sql)
    engine.dispose()
    return url


def test_upgrade_keeps_the_rows_of_a_database_in_use(tmp_path: Path) -> None:
    # Before the fix, rebuilding staff_user with foreign keys on failed at DROP TABLE
    # (bilan_counsellor points at it) and left _alembic_tmp_staff_user behind.
    url = _database_in_use(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        staff = conn.exec_driver_sql("SELECT id, email FROM staff_user").all()
        links = conn.exec_driver_sql("SELECT bilan_id, staff_user_id FROM bilan_counsellor").all()
        leftovers = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'"
        ).all()
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    engine.dispose()
    assert staff == [(7, "c@x.test")]
    assert links == [(5, 7)]
    assert leftovers == [] and broken == []


def test_a_failed_upgrade_changes_nothing(tmp_path: Path) -> None:
    # A table in the way makes a later step fail after staff_user was rebuilt: the whole
    # upgrade rolls back (one transaction), the version and the old schema stay.
    url = _database_in_use(tmp_path)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE completion_notice (id INTEGER PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(OperationalError):
        upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        columns = {c["name"] for c in inspect(conn).get_columns("staff_user")}
        leftovers = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'"
        ).all()
        staff = conn.exec_driver_sql("SELECT id FROM staff_user").all()
    engine.dispose()
    assert version == BEFORE_REBUILD
    assert "notify_completions" not in columns
    assert leftovers == [] and staff == [(7,)]
