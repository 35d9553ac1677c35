"""The dashboard and the caseload export read a fixed number of queries whatever the
number of bilans (no query per bilan: consents, assignments and people are loaded in one
query each)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.service.conftest import World


@contextmanager
def _selects(app: Flask) -> Iterator[list[str]]:
    from service.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if re.match(r"\s*SELECT\b", statement, re.I):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _add_bilans(app: Flask, world: World, n: int) -> None:
    """``n`` more bilans for Claire, each with a consent decision and a questionnaire."""
    from service.extensions import db
    from service.features.journey import consent
    from service.models import Assignment, Beneficiary, Bilan, StaffUser

    instruments = app.extensions["boussole.instruments"]
    with app.app_context(), db.standalone() as s:
        claire = s.get(StaffUser, world.counsellor)
        for i in range(n):
            person = Beneficiary(centre_id=world.centre, first_name=f"P{i}", last_name="Test")
            s.add(person)
            s.flush()
            bilan = Bilan(centre_id=world.centre, beneficiary_id=person.id)
            bilan.counsellors.append(claire)
            s.add(bilan)
            s.flush()
            s.add(
                Assignment(
                    bilan_id=bilan.id,
                    instrument_id="riasec-60",
                    instrument_version=instruments["riasec-60"].version,
                )
            )
            consent.record_consent(s, bilan, person, accepted=True, keep_for_followup=False)


def _count(app: Flask, client: FlaskClient, url: str) -> int:
    with _selects(app) as seen:
        response = client.get(url)
        assert response.status_code == 200, url
    return len(seen)


def test_dashboard_and_export_queries_do_not_grow_with_bilans(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    urls = ("/conseil/", "/conseil/portefeuille.csv")
    _add_bilans(db_app, world, 2)
    before = {u: _count(db_app, claire, u) for u in urls}
    _add_bilans(db_app, world, 8)
    after = {u: _count(db_app, claire, u) for u in urls}
    assert after == before
