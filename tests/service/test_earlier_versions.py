"""Questionnaires taken in an earlier version of an instrument (spi-135 1.0.0, archived when
2.0.0 left out its special-category items): their stored scores stay readable with the
version that produced them; that version is never answered, re-opened or assigned again;
and the migration moves the questionnaires still open to 2.0.0."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from instruments import ARCHIVE_DIR, Instrument, load_instrument
from scoring.simulate import simulate_answers
from service.features.journey import completion
from service.features.journey import service as journey
from service.features.journey import store as answer_store
from service.features.journey.consent import CONSENT_VERSION
from service.migrate import MIGRATIONS
from tests.service.conftest import World, sign_in_beneficiary

SPI = "spi-135"
OLD = ARCHIVE_DIR / "spi-135-1.0.0" / "spi-135.yaml"


def migration() -> Any:
    path = MIGRATIONS / "versions" / "c3d8e2f4a915_spi_135_open_assignments_to_2_0_0.py"
    spec = importlib.util.spec_from_file_location("spi_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answers_of(inst: Instrument, seed: int = 3) -> dict[str, int]:
    row = simulate_answers(inst, 1, seed=seed).iloc[0]
    return {it.id: int(row[it.id]) for it in inst.numeric_items}


def add_assignment(app: Flask, world: World, version: str) -> int:
    from service.extensions import db
    from service.models import Assignment

    with app.app_context(), db.standalone() as s:
        a = Assignment(
            bilan_id=world.bilan,
            instrument_id=SPI,
            instrument_version=version,
            show_results_now=True,
        )
        s.add(a)
        s.flush()
        return a.id


def complete_in_1_0_0(app: Flask, world: World) -> int:
    """A questionnaire answered and scored in spi-135 1.0.0, before 2.0.0 existed."""
    from service.extensions import db
    from service.models import Assignment

    aid = add_assignment(app, world, "1.0.0")
    old = load_instrument(OLD)
    with app.test_request_context(), db.standalone() as s:
        a = s.get(Assignment, aid)
        assert a is not None
        for item, value in answers_of(old).items():
            answer_store.upsert_answer(s, aid, item, value)
        answer_store.add_page_seconds(s, aid, 1, 900)
        done = completion.complete(s, a, old, per_page=6)
        assert done.record is not None, done.problems
    return aid


@pytest.fixture
def camille(db_app: Flask, world: World) -> FlaskClient:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    client.post(
        f"/espace/bilans/{world.bilan}/consentement",
        data={"text_version": CONSENT_VERSION, "accept": "1"},
    )
    return client


def test_the_service_loads_the_archived_version_beside_the_current_one(db_app: Flask) -> None:
    installed = db_app.extensions["boussole.instruments"]
    assert installed[SPI].version == "2.0.0"
    assert installed.version(SPI, "1.0.0") is not None
    assert SPI in installed and len(installed) == 6  # one entry per id: the current version


def test_stored_scores_of_1_0_0_stay_readable_with_1_0_0(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import ScoreRecord

    aid = complete_in_1_0_0(db_app, world)
    with db_app.app_context(), db.standalone() as s:
        record = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).one()
        assert record.instrument_key == "spi-135@1.0.0"
        assert record.norm_version == "2026.11-spi-adults"
        assert "conservatism.mean" in record.scores
    profile = claire.get(f"/conseil/questionnaires/{aid}/profil?facettes=1")
    assert profile.status_code == 200
    page = profile.get_data(as_text=True)
    assert page.count('class="facet"') == 27  # the 27 facets of 1.0.0, as scored then
    assert "SPI, 135 questions" in page
    dashboard = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    assert "SPI, 135 questions" in dashboard
    results = camille.get(f"/espace/questionnaires/{aid}/resultats")  # shown at once
    assert results.status_code == 200
    assert camille.get(f"/espace/questionnaires/{aid}/merci").status_code == 200
    assert "SPI, 135 questions" in camille.get("/espace/").get_data(as_text=True)


def test_an_open_questionnaire_of_1_0_0_is_never_answered(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    """Only if one escaped the migration: the beneficiary neither sees nor answers it."""
    aid = add_assignment(db_app, world, "1.0.0")
    assert camille.get(f"/espace/questionnaires/{aid}").status_code == 404
    assert camille.get(f"/espace/questionnaires/{aid}/page/1").status_code == 404
    saved = camille.post(
        f"/espace/questionnaires/{aid}/reponses", json={"item": "q_345", "value": 2}
    )
    assert saved.status_code == 404
    assert camille.post(f"/espace/questionnaires/{aid}/terminer").status_code == 404
    assert "SPI" not in camille.get("/espace/").get_data(as_text=True)
    record = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    assert "SPI, 135 questions" in record


def test_a_questionnaire_completed_in_1_0_0_cannot_be_reopened(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Assignment, ScoreRecord

    aid = complete_in_1_0_0(db_app, world)
    response = claire.post(f"/conseil/questionnaires/{aid}/reouverture")
    assert response.status_code == 409
    assert "une version qui n’est plus proposée" in response.get_data(as_text=True)
    with db_app.app_context(), db.standalone() as s:
        a = s.get(Assignment, aid)
        assert a is not None and a.status == "completed"
        assert s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).first()


def test_new_questionnaires_are_assigned_in_2_0_0_only(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Assignment, Bilan

    form = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    assert "SPI, version bilan, 127 questions" in form and "SPI, 135 questions" not in form
    response = claire.post(
        f"/conseil/bilans/{world.bilan}/questionnaires", data={"instrument": SPI, "language": "fr"}
    )
    assert response.status_code == 302
    with db_app.test_request_context(), db.standalone() as s:
        a = s.scalars(select(Assignment).where(Assignment.instrument_id == SPI)).one()
        assert a.instrument_version == "2.0.0"
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        archived = db_app.extensions["boussole.instruments"].version(SPI, "1.0.0")
        with pytest.raises(journey.AssignmentRefused, match="pas destiné à être proposé"):
            journey.assign(s, bilan, archived, language="fr", show_results_now=False)


# --- the migration of the questionnaires still open ------------------------------------------


def test_the_migration_removes_the_items_left_out_of_2_0_0() -> None:
    current = load_instrument(ARCHIVE_DIR.parent / "spi-135.yaml")
    removed = current.metadata["removed_items"]
    assert isinstance(removed, list)
    assert set(migration().REMOVED) == {r["item"] for r in removed}
    old = load_instrument(OLD)
    assert {it.id for it in old.items} - {it.id for it in current.items} == set(migration().REMOVED)


def test_open_1_0_0_questionnaires_move_to_2_0_0_without_the_removed_answers(
    tmp_path: Path,
) -> None:
    from service.db import make_engine
    from service.migrate import upgrade
    from service.models import Answer, Assignment

    url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    upgrade(url, "9c2e5b7d1f30")  # the schema before the migration (unchanged by it)
    removed = set(migration().REMOVED)
    old = load_instrument(OLD)
    engine = make_engine(url)
    ids: dict[str, int] = {}
    # Core inserts into the tables as that schema has them: the models have gained
    # columns (with defaults) since, which the old tables do not know.
    old_tables = MetaData()
    old_tables.reflect(engine, only=["centre", "beneficiary", "bilan", "assignment", "answer"])
    t = old_tables.tables
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        centre_id = conn.execute(
            t["centre"].insert().values(name="Centre", created_at=now).returning(t["centre"].c.id)
        ).scalar_one()
        person_id = conn.execute(
            t["beneficiary"]
            .insert()
            .values(
                centre_id=centre_id, first_name="A", last_name="B", language="fr", created_at=now
            )
            .returning(t["beneficiary"].c.id)
        ).scalar_one()
        bilan_id = conn.execute(
            t["bilan"]
            .insert()
            .values(
                centre_id=centre_id,
                beneficiary_id=person_id,
                title="Bilan",
                status="preliminaire",
                created_at=now,
                convention_signed=False,
            )
            .returning(t["bilan"].c.id)
        ).scalar_one()
        for status in ("not_started", "in_progress", "completed"):
            aid = conn.execute(
                t["assignment"]
                .insert()
                .values(
                    bilan_id=bilan_id,
                    instrument_id=SPI,
                    instrument_version="1.0.0",
                    status=status,
                    language="fr",
                    show_results_now=False,
                    current_page=0,
                    assigned_at=now,
                )
                .returning(t["assignment"].c.id)
            ).scalar_one()
            ids[status] = aid
            if status != "not_started":
                conn.execute(
                    t["answer"].insert(),
                    [
                        {"assignment_id": aid, "item_id": item, "value": v, "answered_at": now}
                        for item, v in answers_of(old).items()
                    ],
                )
    upgrade(url)
    with Session(engine) as s:
        version = {a.id: a.instrument_version for a in s.scalars(select(Assignment))}
        answered = {
            aid: {x.item_id for x in s.scalars(select(Answer).where(Answer.assignment_id == aid))}
            for aid in ids.values()
        }
    engine.dispose()
    assert version[ids["not_started"]] == version[ids["in_progress"]] == "2.0.0"
    assert version[ids["completed"]] == "1.0.0"  # kept with its scores and answers
    everything = {it.id for it in old.items}
    assert answered[ids["in_progress"]] == everything - removed  # 127 answers kept
    assert answered[ids["completed"]] == everything
    assert answered[ids["not_started"]] == set()
