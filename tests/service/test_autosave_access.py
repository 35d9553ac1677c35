"""The autosave's fast path: one rule for answering (``access.answer_refusal``, also behind
``access.can_answer``), one query for what it needs (``answer_store.answering_state``), the
signed-in beneficiary read from the session without loading the person, and the writes
(``answer_store.record_answer``)."""

from __future__ import annotations

import datetime as dt
import doctest
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import access
from service.features.journey import consent as consent_records
from service.features.journey import store as answer_store
from service.models import Assignment, Beneficiary, Bilan, Consent, StaffUser
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff

BFI = "ipip-bfi-25"
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def url(aid: int) -> str:
    return f"/espace/questionnaires/{aid}/reponses"


def add_consent(
    app: Flask, world: World, *, accepted: bool, at: dt.datetime, by: int | None = None
) -> None:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        s.add(
            Consent(
                bilan_id=world.bilan,
                beneficiary_id=world.beneficiary if by is None else by,
                text_version=consent_records.CONSENT_VERSION,
                accepted=accepted,
                recorded_at=at,
            )
        )


def set_status(app: Flask, aid: int, status: str) -> None:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        row = s.get(Assignment, aid)
        assert row is not None
        row.status = status


def stored(app: Flask, aid: int) -> dict[str, Any]:
    from service.extensions import db
    from service.models import Answer

    with app.app_context(), db.standalone() as s:
        rows = s.execute(select(Answer.item_id, Answer.value).where(Answer.assignment_id == aid))
        return dict(rows.all())


def state(app: Flask, aid: int) -> answer_store.AnsweringState | None:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        return answer_store.answering_state(s, aid)


@pytest.fixture
def person(db_app: Flask, world: World) -> FlaskClient:
    """The world's beneficiary, signed in, having accepted."""
    add_consent(db_app, world, accepted=True, at=T0)
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    return client


# --- the rule, on plain values ------------------------------------------------------------


OPEN = {"owner_id": 7, "consented": True, "status": "in_progress"}


@pytest.mark.parametrize(
    ("kind", "principal_id", "values", "expected"),
    [
        ("beneficiary", 7, OPEN, None),
        ("beneficiary", 7, {**OPEN, "status": "not_started"}, None),
        ("beneficiary", 8, OPEN, "not_found"),  # another beneficiary
        ("beneficiary", 7, {**OPEN, "owner_id": None}, "not_found"),  # no such assignment
        ("staff", 7, OPEN, "not_beneficiary"),  # even with the owner's number
        (None, None, OPEN, "not_beneficiary"),
        ("beneficiary", 7, {**OPEN, "consented": False}, "no_consent"),
        ("beneficiary", 7, {**OPEN, "status": "completed"}, "completed"),
        # someone else's completed questionnaire without consent: still not found
        ("beneficiary", 8, {**OPEN, "consented": False, "status": "completed"}, "not_found"),
        # no consent comes before completed, as the autosave always answered
        ("beneficiary", 7, {**OPEN, "consented": False, "status": "completed"}, "no_consent"),
    ],
)
def test_answer_refusal(
    kind: str | None, principal_id: int | None, values: dict[str, Any], expected: str | None
) -> None:
    assert access.answer_refusal(kind, principal_id, **values) == expected


def test_can_answer_applies_the_same_rule_to_records() -> None:
    """Every combination: the record-based check agrees with the value-based rule."""
    owner = Beneficiary(id=7, first_name="Camille", last_name="Martin")
    other = Beneficiary(id=8, first_name="Dominique", last_name="Petit")
    staff = StaffUser(id=7, name="Claire", role="counsellor", active=True)
    bilan = Bilan(id=3, beneficiary_id=7)
    accepted = Consent(id=1, bilan_id=3, accepted=True, recorded_at=T0)
    refused = Consent(id=2, bilan_id=3, accepted=False, recorded_at=T0 + dt.timedelta(hours=1))
    elsewhere = Consent(id=3, bilan_id=4, accepted=True, recorded_at=T0 + dt.timedelta(hours=2))
    histories: list[tuple[list[Consent], bool]] = [
        ([], False),
        ([accepted], True),
        ([accepted, refused], False),  # the latest decision is a refusal
        ([refused, accepted, elsewhere], False),  # order of the list does not matter
        ([elsewhere], False),  # another bilan's consent does not count
    ]
    outcomes = set()
    for principal, (consents, consented), status in itertools.product(
        (owner, other, staff, None), histories, ("not_started", "in_progress", "completed")
    ):
        assignment = Assignment(id=11, bilan=bilan, status=status)
        allowed = access.can_answer(principal, assignment, consents)
        refusal = access.answer_refusal(
            access.kind_of(principal),
            getattr(principal, "id", None),
            owner_id=7,
            consented=consented,
            status=status,
        )
        assert allowed is (refusal is None), (principal, consents, status)
        outcomes.add(refusal)
    assert outcomes == {None, "not_found", "not_beneficiary", "no_consent", "completed"}


def test_doctests_of_the_access_module() -> None:
    result = doctest.testmod(access)
    assert result.attempted > 0 and result.failed == 0


# --- the query ----------------------------------------------------------------------------


def test_answering_state_reads_owner_instrument_status_and_latest_consent(
    db_app: Flask, world: World
) -> None:
    aid = world.assignments[BFI]
    version = db_app.extensions["boussole.instruments"][BFI].version
    assert state(db_app, aid) == answer_store.AnsweringState(
        aid, world.beneficiary, "not_started", BFI, version, consented=False
    )
    # only the bilan's beneficiary consents for it (as consents_of(the person) read it)
    add_consent(db_app, world, accepted=True, at=T0, by=world.other_beneficiary)
    found = state(db_app, aid)
    assert found is not None and found.consented is False
    add_consent(db_app, world, accepted=True, at=T0)
    found = state(db_app, aid)
    assert found is not None and found.consented is True
    add_consent(db_app, world, accepted=False, at=T0 + dt.timedelta(minutes=5))
    found = state(db_app, aid)
    assert found is not None and found.consented is False  # refused after accepting
    # two decisions recorded at the same instant: the later row wins, as in has_consented
    add_consent(db_app, world, accepted=True, at=T0 + dt.timedelta(minutes=5))
    found = state(db_app, aid)
    assert found is not None and found.consented is True
    # the latest decision is the latest in time, not the last row written
    add_consent(db_app, world, accepted=False, at=T0 + dt.timedelta(minutes=1))
    found = state(db_app, aid)
    assert found is not None and found.consented is True
    set_status(db_app, aid, "completed")
    found = state(db_app, aid)
    assert found is not None and found.status == "completed"
    other = state(db_app, world.other_assignment)
    assert other is not None and other.owner_id == world.other_beneficiary
    assert other.consented is False  # this beneficiary's consent is not the other's
    assert state(db_app, 9999) is None


# --- the route ----------------------------------------------------------------------------


@pytest.fixture
def loader_calls(db_app: Flask) -> Iterator[list[str]]:
    """Ids passed to the user loader (``current_user``) during the test."""
    from service.extensions import login_manager

    calls: list[str] = []
    real = login_manager._user_callback
    assert real is not None

    def counting(principal_id: str) -> Any:
        calls.append(principal_id)
        return real(principal_id)

    login_manager._user_callback = counting
    yield calls
    login_manager._user_callback = real


def test_autosave_does_not_load_the_person(
    db_app: Flask, world: World, person: FlaskClient, loader_calls: list[str]
) -> None:
    aid = world.assignments[BFI]
    response = person.post(url(aid), json={"item": "A1", "value": 4, "page": 1, "seconds": 2})
    assert response.status_code == 200
    assert response.get_json() == {"saved": True, "answered": 1, "total": 25, "progress": 4}
    assert loader_calls == []
    assert person.get("/espace/").status_code == 200  # other pages still load the person
    assert loader_calls == [f"beneficiary:{world.beneficiary}"]


def test_a_refusal_after_an_acceptance_stops_the_autosave(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    assert person.post(url(aid), json={"item": "A1", "value": 4}).status_code == 200
    add_consent(db_app, world, accepted=False, at=T0 + dt.timedelta(days=1))
    refused = person.post(url(aid), json={"item": "A2", "value": 4})
    assert refused.status_code == 403
    assert refused.get_json() == {
        "saved": False,
        "error": "Votre accord est nécessaire avant de répondre aux questionnaires.",
    }
    add_consent(db_app, world, accepted=True, at=T0 + dt.timedelta(days=2))
    assert person.post(url(aid), json={"item": "A3", "value": 4}).status_code == 200
    assert stored(db_app, aid) == {"A1": 4, "A3": 4}


def test_a_completed_questionnaire_answers_409_and_keeps_its_answers(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    assert person.post(url(aid), json={"item": "A1", "value": 4}).status_code == 200
    set_status(db_app, aid, "completed")
    response = person.post(url(aid), json={"item": "A1", "value": 1})
    assert response.status_code == 409
    assert "terminé" in response.get_json()["error"]
    assert stored(db_app, aid) == {"A1": 4}


def test_a_staff_member_gets_403_whatever_the_assignment(db_app: Flask, world: World) -> None:
    staff = db_app.test_client()
    sign_in_staff(staff, "claire@test.fr")
    for aid in (world.assignments[BFI], world.other_assignment, 9999):
        response = staff.post(url(aid), json={"item": "A1", "value": 3})
        assert response.status_code == 403, aid
        assert response.get_json()["status"] == 403
    assert stored(db_app, world.assignments[BFI]) == {}


def test_someone_elses_or_unknown_assignment_is_404(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    for aid in (world.other_assignment, 9999):
        response = person.post(url(aid), json={"item": "A1", "value": 3})
        assert response.status_code == 404, aid
        assert "n’existe pas" in response.get_json()["error"]
    assert stored(db_app, world.other_assignment) == {}


def test_a_session_naming_nobody_gets_401(db_app: Flask, world: World) -> None:
    """A signed session whose beneficiary no longer exists: 401, as the user loader says."""
    client = db_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "beneficiary:9999"
        session["_fresh"] = True
    response = client.post(url(world.assignments[BFI]), json={"item": "A1", "value": 3})
    assert response.status_code == 401
    assert "reconnectez-vous" in response.get_json()["error"]


@pytest.mark.parametrize(("protection", "expected"), [("basic", 200), ("strong", 401)])
def test_session_protection_is_flask_logins(
    db_app: Flask, world: World, person: FlaskClient, protection: str, expected: int
) -> None:
    """Another browser with the same cookie: "basic" keeps the person signed in (the
    session is only marked not fresh), "strong" signs them out: then Flask-Login decides."""
    db_app.config["SESSION_PROTECTION"] = protection
    aid = world.assignments[BFI]
    same = person.post(url(aid), json={"item": "A1", "value": 2})
    assert same.status_code == 200
    moved = person.post(
        url(aid), json={"item": "A2", "value": 2}, headers={"User-Agent": "another browser"}
    )
    assert moved.status_code == expected
    assert stored(db_app, aid) == ({"A1": 2, "A2": 2} if expected == 200 else {"A1": 2})


# --- the writes ---------------------------------------------------------------------------


def test_record_answer_counts_clears_and_times_pages(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import PageTiming

    aid = world.assignments[BFI]
    with db_app.test_request_context():
        s = db.session
        assert answer_store.record_answer(s, aid, "A1", 3, page=1, seconds=4.0) == 1
        assert answer_store.record_answer(s, aid, "A1", 5, page=1, seconds=1.5) == 1  # replaced
        assert answer_store.record_answer(s, aid, "A2", 2, page=2, seconds=0.0) == 2
        assert answer_store.record_answer(s, aid, "A3", 2, page=None, seconds=9.0) == 3
        assert answer_store.record_answer(s, aid, "A2", None, page=None, seconds=0.0) == 2
        assert answer_store.record_answer(s, aid, "A9", None, page=None, seconds=0.0) == 2
        s.commit()
        timings = dict(
            s.execute(
                select(PageTiming.page, PageTiming.seconds).where(PageTiming.assignment_id == aid)
            ).all()
        )
        row = s.get(Assignment, aid)
        assert row is not None
        assert (row.status, row.current_page, row.started_at is not None) == (
            "in_progress",
            2,  # kept when no page is given
            True,
        )
    assert timings == {1: 5.5}  # no time without a page, nor for 0 s
    assert stored(db_app, aid) == {"A1": 5, "A3": 2}


def test_record_answer_writes_nothing_once_completed(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import PageTiming

    aid = world.assignments[BFI]
    with db_app.test_request_context():
        assert answer_store.record_answer(db.session, aid, "A1", 3, page=1, seconds=4.0) == 1
        db.session.commit()
    set_status(db_app, aid, "completed")
    with db_app.test_request_context():
        s = db.session
        assert answer_store.record_answer(s, aid, "A1", 6, page=1, seconds=5.0) is None
        assert answer_store.record_answer(s, aid, "A1", None, page=1, seconds=5.0) is None
        s.commit()  # even committed, nothing was written
        seconds = s.scalars(select(PageTiming.seconds).where(PageTiming.assignment_id == aid))
        assert list(seconds) == [4.0]
    assert stored(db_app, aid) == {"A1": 3}
