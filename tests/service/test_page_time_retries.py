"""Idempotent page time (issue 12, section 6): an autosave retried after its response was
lost carries the same page visit id and sequence number, and its seconds count once."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.service import test_journey
from tests.service.conftest import World
from tests.service.test_journey import BFI, autosave, timings

person = test_journey.person  # the fixture: the world's beneficiary, signed in, consented

VISIT = "a1b2c3d4e5f60718293a4b5c"


def test_the_same_autosave_body_posted_twice_adds_its_seconds_once(
    db_app: Flask,
    world: World,
    person: FlaskClient,
) -> None:
    aid = world.assignments[BFI]
    body = {"page": 1, "seconds": 7.5, "visit": VISIT, "seq": 1}
    assert autosave(person, aid, "A1", 3, **body).status_code == 200
    assert autosave(person, aid, "A1", 3, **body).status_code == 200  # the retry
    assert timings(db_app, aid) == {1: pytest.approx(7.5)}
    # The next increment counts; a retry of it too only once; an older one not at all.
    autosave(person, aid, "A2", 4, page=1, seconds=2.0, visit=VISIT, seq=2)
    autosave(person, aid, "A2", 4, page=1, seconds=2.0, visit=VISIT, seq=2)
    autosave(person, aid, "A3", 4, page=1, seconds=9.0, visit=VISIT, seq=1)
    assert timings(db_app, aid) == {1: pytest.approx(9.5)}
    # The answers themselves are saved by each request (the last value wins).
    autosave(person, aid, "A3", 5, page=1, seconds=9.0, visit=VISIT, seq=2)
    assert timings(db_app, aid) == {1: pytest.approx(9.5)}


def test_another_visit_of_the_page_counts_from_its_own_first_increment(
    db_app: Flask,
    world: World,
    person: FlaskClient,
) -> None:
    aid = world.assignments[BFI]
    autosave(person, aid, "A1", 3, page=1, seconds=5, visit=VISIT, seq=4)
    autosave(person, aid, "A1", 2, page=1, seconds=3, visit="ffeeddccbbaa998877665544", seq=1)
    autosave(person, aid, "A1", 2, page=1, seconds=3, visit="ffeeddccbbaa998877665544", seq=1)
    assert timings(db_app, aid) == {1: pytest.approx(8.0)}


def test_a_refused_answer_does_not_use_up_its_increment(
    db_app: Flask,
    world: World,
    person: FlaskClient,
) -> None:
    """A 400 stores nothing (the script counts that time with its next request)."""
    aid = world.assignments[BFI]
    assert autosave(person, aid, "A1", 99, page=1, seconds=5, visit=VISIT, seq=1).status_code == 400
    assert timings(db_app, aid) == {}
    autosave(person, aid, "A1", 3, page=1, seconds=6, visit=VISIT, seq=2)
    assert timings(db_app, aid) == {1: pytest.approx(6.0)}


@pytest.mark.parametrize(
    "client",
    [
        {"visit": "court", "seq": 1},
        {"visit": VISIT, "seq": True},
        {"visit": VISIT, "seq": -1},
        {"visit": 12, "seq": 1},
        {"visit": VISIT, "seq": 2**31},
    ],
)
def test_without_valid_numbers_each_request_counts_as_before(
    db_app: Flask,
    world: World,
    person: FlaskClient,
    client: dict[str, object],
) -> None:
    """An older script (or invalid numbers): no idempotency, but no error either."""
    aid = world.assignments[BFI]
    assert autosave(person, aid, "A1", 3, page=1, seconds=4, **client).status_code == 200
    assert autosave(person, aid, "A1", 3, page=1, seconds=4, **client).status_code == 200
    assert timings(db_app, aid) == {1: pytest.approx(8.0)}
