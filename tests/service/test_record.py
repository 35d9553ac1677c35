"""The bilan record: default template (the seed's table), planning every 15 days in Paris
time, hours against the 24 h ceiling (questionnaire time counted), form errors, status
transitions, the .ics calendars, the centre's template; and who may NOT use any of it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import complete, other_clients, set_values

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")


def Z(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes (stored in UTC); PostgreSQL gives aware ones."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# --- helpers ------------------------------------------------------------------------------


def plan(app: Flask, bilan_id: int, start: dt.date, **kwargs: Any) -> None:
    from service.extensions import db
    from service.features.record import service as record
    from service.models import Bilan

    with app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, bilan_id)
        assert bilan is not None
        record.plan_bilan(s, bilan, start, **kwargs)


def steps_of(app: Flask, bilan_id: int) -> list[dict[str, Any]]:
    from service.extensions import db
    from service.models import BilanStep

    with app.app_context(), db.standalone() as s:
        rows = s.scalars(
            select(BilanStep).where(BilanStep.bilan_id == bilan_id).order_by(BilanStep.position)
        )
        return [
            {
                "id": r.id,
                "position": r.position,
                "phase": r.phase,
                "name": r.name,
                "hours": (r.interview_hours, r.personal_hours),
                "instruments": r.instruments,
                "planned_at": aware(r.planned_at),
            }
            for r in rows
        ]


def bilan_row(app: Flask, bilan_id: int) -> Any:
    from service.extensions import db
    from service.models import Bilan

    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, bilan_id)
        s.expunge(bilan)
        return bilan


def count(app: Flask, model: Any, **where: Any) -> int:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(s.scalar(query) or 0)


def add_rows(app: Flask, *rows: Any) -> list[int]:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def text_of(response: Any) -> str:
    """The page as text, spaces normalised (no-break spaces become spaces)."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", html.replace("\u00a0", " ").replace("&nbsp;", " "))


@pytest.fixture
def admin(db_app: Flask, world: World) -> FlaskClient:
    client = db_app.test_client()
    sign_in_staff(client, "admin@test.fr")
    return client


@pytest.fixture
def planned(db_app: Flask, world: World) -> World:
    """Camille's bilan planned from Monday 16 March 2026."""
    plan(db_app, world.bilan, dt.date(2026, 3, 16), now=Z(2026, 3, 1))
    return world


# --- the default template -----------------------------------------------------------------


def test_default_template_is_the_seed_table() -> None:
    from service.features.record import service as record

    steps = record.DEFAULT_STEPS
    assert [s.phase for s in steps] == [
        "preliminaire",
        "investigation",
        "investigation",
        "investigation",
        "investigation",
        "conclusions",
        "conclusions",
        "suivi",
    ]
    # the seed's column "Heures Entretien / travail personnel", then the 1 h follow-up
    assert [(s.interview_hours, s.personal_hours) for s in steps] == [
        (2, 0),
        (2, 1),
        (2, 1),
        (2, 2),
        (2, 2),
        (2, 2),
        (2, 2),
        (1, 0),
    ]
    assert steps[0].name.startswith("Attentes")
    assert steps[2].name == "Capital personnel — valeurs, réussites, restitution des questionnaires"
    assert steps[2].instruments == ("ipip-bfi-25", "riasec-60", "valeurs-travail")
    assert [s for s in steps if s.instruments] == [steps[2]]
    summary = record.summarise(
        [
            (
                s.phase,
                record.minutes_of_hours(s.interview_hours),
                record.minutes_of_hours(s.personal_hours),
            )
            for s in steps
        ],
        [],
    )
    assert summary.total.planned_interview == 14 * 60
    assert summary.total.planned_personal == 10 * 60
    assert summary.total.planned == 24 * 60 == summary.ceiling
    assert not summary.plan_over  # exactly at the ceiling is allowed
    assert (summary.followup.planned_interview, summary.followup.planned_personal) == (60, 0)


def test_centre_template_is_seeded_once_from_the_default(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.features.record import service as record
    from service.models import CentreStep

    with db_app.test_request_context(), db.standalone() as s:
        first = record.centre_steps(s, world.centre)
        assert [(c.name, c.interview_hours, c.personal_hours) for c in first] == [
            (t.name, float(t.interview_hours), float(t.personal_hours))
            for t in record.DEFAULT_STEPS
        ]
        assert first[2].instruments == "ipip-bfi-25,riasec-60,valeurs-travail"
    with db_app.test_request_context(), db.standalone() as s:
        assert len(record.centre_steps(s, world.centre)) == 8
    assert count(db_app, CentreStep) == 8


# --- planning -----------------------------------------------------------------------------


def test_plan_proposes_an_interview_every_15_days_across_the_spring_clock_change(
    db_app: Flask, planned: World
) -> None:
    steps = steps_of(db_app, planned.bilan)
    assert len(steps) == 8
    # 09:30 in Paris: UTC+1 until Sunday 29 March 2026, UTC+2 after. 30 May and 14 June
    # fall on a weekend: moved to the Monday.
    assert [s["planned_at"] for s in steps] == [
        Z(2026, 3, 16, 8, 30),
        Z(2026, 3, 31, 7, 30),
        Z(2026, 4, 15, 7, 30),
        Z(2026, 4, 30, 7, 30),
        Z(2026, 5, 15, 7, 30),
        Z(2026, 6, 1, 7, 30),
        Z(2026, 6, 15, 7, 30),
        Z(2026, 12, 16, 8, 30),  # follow-up: planned end + 6 months, winter time again
    ]
    bilan = bilan_row(db_app, planned.bilan)
    assert bilan.start_date == dt.date(2026, 3, 16)
    assert bilan.planned_end == dt.date(2026, 6, 16)  # start + 3 months
    # the follow-up date itself is fixed at the end of the bilan (6 months after the real end)
    assert bilan.followup_date is None
    assert aware(bilan.next_interview_at) == Z(2026, 3, 16, 8, 30)


def test_plan_keeps_a_chosen_time_across_the_autumn_clock_change(
    db_app: Flask, world: World
) -> None:
    plan(db_app, world.bilan, dt.date(2026, 9, 21), at=dt.time(14, 0), now=Z(2026, 9, 1))
    # 14:00 in Paris: UTC+2 until Sunday 25 October 2026, UTC+1 after; 5 December is a
    # Saturday and 20 December a Sunday.
    assert [s["planned_at"] for s in steps_of(db_app, world.bilan)] == [
        Z(2026, 9, 21, 12, 0),
        Z(2026, 10, 6, 12, 0),
        Z(2026, 10, 21, 12, 0),
        Z(2026, 11, 5, 13, 0),
        Z(2026, 11, 20, 13, 0),
        Z(2026, 12, 7, 13, 0),
        Z(2026, 12, 21, 13, 0),
        Z(2027, 6, 21, 12, 0),
    ]
    assert bilan_row(db_app, world.bilan).planned_end == dt.date(2026, 12, 21)


def test_new_bilan_with_a_start_date_is_planned_at_the_time_of_its_first_interview(
    db_app: Flask, claire: FlaskClient
) -> None:
    from service.models import Bilan

    page = claire.get("/conseil/bilans/nouveau").get_data(as_text=True)
    today = dt.datetime.now(PARIS).date()
    assert 'name="start_date"' in page and f'value="{today.isoformat()}"' in page

    response = claire.post(
        "/conseil/bilans/nouveau",
        data={
            "first_name": "Léa",
            "last_name": "Durand",
            "language": "fr",
            "title": "Bilan de compétences",
            "next_interview_at": "2026-03-16T14:00",
            "start_date": "2026-03-16",
        },
    )
    assert response.status_code == 201
    assert count(db_app, Bilan) == 3  # the world's two, and Léa's
    steps = steps_of(db_app, 3)
    assert len(steps) == 8
    assert steps[0]["planned_at"] == Z(2026, 3, 16, 13, 0)  # 14:00 in Paris, winter
    assert steps[1]["planned_at"] == Z(2026, 3, 31, 12, 0)  # 14:00 in Paris, summer

    # without a start date: no plan yet (planned later from the record page)
    claire.post(
        "/conseil/bilans/nouveau",
        data={"first_name": "Sam", "last_name": "Roux", "language": "fr", "title": "Bilan"},
    )
    assert count(db_app, Bilan) == 4
    assert steps_of(db_app, 4) == []


def test_plan_from_the_record_page_replaces_the_dates(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    url = f"/conseil/bilans/{planned.bilan}/dossier/calendrier"
    response = claire.post(url, data={"plan-start_date": "2026-09-21", "plan-at": "10:00"})
    assert response.status_code == 302
    steps = steps_of(db_app, planned.bilan)
    assert len(steps) == 8  # the plan's steps are kept, not copied again
    assert steps[0]["planned_at"] == Z(2026, 9, 21, 8, 0)
    assert steps[6]["planned_at"] == Z(2026, 12, 21, 9, 0)
    assert bilan_row(db_app, planned.bilan).planned_end == dt.date(2026, 12, 21)

    missing = claire.post(url, data={"plan-start_date": "", "plan-at": "10:00"})
    assert missing.status_code == 422
    assert "Saisissez la date de début du bilan." in text_of(missing)
    assert steps_of(db_app, planned.bilan)[0]["planned_at"] == Z(2026, 9, 21, 8, 0)


# --- hours --------------------------------------------------------------------------------


def test_hours_count_interviews_personal_work_and_questionnaire_time(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.features.record import service as record
    from service.models import Assignment, Bilan, Interview, PageTiming, PersonalWork

    for iid in ("ipip-bfi-25", "riasec-60", "valeurs-travail"):
        complete(db_app, planned.assignments[iid], seconds=600)  # 10 min each
    instruments = db_app.extensions["boussole.instruments"]
    end, followup = (
        Assignment(
            bilan_id=planned.bilan,
            instrument_id=iid,
            instrument_version=instruments[iid].version,
            purpose=purpose,
        )
        for iid, purpose in (("satisfaction-fin-bilan", "end"), ("suivi-6-mois", "followup"))
    )
    end_id, followup_id = add_rows(db_app, end, followup)
    steps = {s["position"]: s["id"] for s in steps_of(db_app, planned.bilan)}
    add_rows(
        db_app,
        PageTiming(assignment_id=planned.assignments["riasec-60"], page=2, seconds=95.0),
        PageTiming(assignment_id=end_id, page=1, seconds=300.0),  # satisfaction: not counted
        PageTiming(assignment_id=followup_id, page=1, seconds=240.0),  # follow-up: 4 min
        Interview(
            bilan_id=planned.bilan,
            step_id=steps[1],
            held_at=Z(2026, 3, 16, 8, 30),
            minutes=120,
            mode="presentiel",
        ),
        Interview(
            bilan_id=planned.bilan,
            step_id=steps[3],
            held_at=Z(2026, 4, 15, 7, 30),
            minutes=105,
            mode="distanciel",
        ),
        Interview(
            bilan_id=planned.bilan,
            step_id=steps[8],
            held_at=Z(2026, 12, 16, 8, 30),
            minutes=60,
            mode="hybride",
        ),
        Interview(  # no step, after the end: follow-up
            bilan_id=planned.bilan,
            held_at=Z(2026, 12, 20, 8, 30),
            minutes=30,
            mode="distanciel",
        ),
        PersonalWork(
            bilan_id=planned.bilan,
            done_on=dt.date(2026, 3, 20),
            minutes=45,
            kind="recherches",
        ),
        PersonalWork(
            bilan_id=planned.bilan,
            step_id=steps[6],
            done_on=dt.date(2026, 6, 3),
            minutes=90,
            kind="enquete",
        ),
    )
    set_values(db_app, Bilan, planned.bilan, ended_at=Z(2026, 6, 20, 10, 0))

    with db_app.test_request_context(), db.standalone() as s:
        summary = record.hours_summary(s, s.get(Bilan, planned.bilan))
    rows = {r.key: r for r in summary.rows}
    assert (rows["preliminaire"].interview, rows["preliminaire"].done) == (120, 120)
    # 600 + 600 + (600 + 95) seconds on the pages: 10 + 10 + 12 minutes (11.58 rounded)
    assert (rows["investigation"].interview, rows["investigation"].tests) == (105, 32)
    assert (rows["conclusions"].personal, rows["conclusions"].done) == (90, 90)
    assert (rows[""].personal, rows[""].done) == (45, 45)  # logged without a step
    assert summary.total.done == 120 + 105 + 32 + 90 + 45 == 392
    assert summary.total.planned == 1440
    assert (summary.followup.interview, summary.followup.tests) == (90, 4)
    assert not summary.plan_over and not summary.done_over

    page = text_of(claire.get(f"/conseil/bilans/{planned.bilan}/dossier"))
    assert "Réalisé : 6 h 32 sur 24 h" in page
    assert "Attention : plafond de 24 heures" not in page


def test_warnings_when_the_plan_or_the_time_done_exceeds_24_hours(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    from service.models import Interview

    first = steps_of(db_app, planned.bilan)[0]
    response = claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/etapes/{first['id']}",
        data={
            "phase": "preliminaire",
            "name": first["name"],
            "objectives": "",
            "interview_hours": "3,5",
            "personal_hours": "0",
            "planned_at": "2026-03-16T09:30",
        },
    )
    assert response.status_code == 302
    assert steps_of(db_app, planned.bilan)[0]["hours"] == (3.5, 0.0)
    page = text_of(claire.get(f"/conseil/bilans/{planned.bilan}/dossier"))
    assert "Attention : plafond de 24 heures" in page
    assert "Le plan prévoit 25 h 30, au-delà du plafond légal de 24 h du bilan" in page
    assert "Le temps réalisé" not in page

    add_rows(
        db_app,
        *(
            Interview(
                bilan_id=planned.bilan,
                held_at=Z(2026, 4, k, 8, 0),
                minutes=480,
                mode="presentiel",
            )
            for k in (1, 2, 3, 4)
        ),
    )
    page = text_of(claire.get(f"/conseil/bilans/{planned.bilan}/dossier"))
    assert "Le temps réalisé (32 h) dépasse le plafond légal de 24 h du bilan." in page


def test_logging_editing_and_deleting_interviews_and_personal_work(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    from service.models import Interview, PersonalWork

    base = f"/conseil/bilans/{planned.bilan}/dossier"
    step = steps_of(db_app, planned.bilan)[0]["id"]
    response = claire.post(
        f"{base}/entretiens",
        data={
            "entretien-held_at": "2026-03-16T09:30",
            "entretien-minutes": "115",
            "entretien-mode": "distanciel",
            "entretien-topic": "Attentes et objectifs",
            "entretien-step_id": str(step),
        },
    )
    assert response.status_code == 302
    page = text_of(claire.get(base))
    assert "16 mars 2026, 09:30" in page and "1 h 55" in page and "Distanciel" in page
    from service.extensions import db

    with db_app.app_context(), db.standalone() as s:
        row = s.scalars(select(Interview)).one()
        assert (row.minutes, row.mode, row.step_id) == (115, "distanciel", step)
        assert aware(row.held_at) == Z(2026, 3, 16, 8, 30)
        interview_id = row.id

    edit = claire.get(f"{base}/entretiens/{interview_id}")
    assert edit.status_code == 200 and 'value="2026-03-16T09:30"' in edit.get_data(as_text=True)
    assert (
        claire.post(
            f"{base}/entretiens/{interview_id}",
            data={
                "entretien-held_at": "2026-03-17T10:00",
                "entretien-minutes": "120",
                "entretien-mode": "hybride",
                "entretien-topic": "",
                "entretien-step_id": "",
            },
        ).status_code
        == 302
    )
    with db_app.app_context(), db.standalone() as s:
        row = s.scalars(select(Interview)).one()
        assert (row.minutes, row.mode, row.step_id, row.topic) == (120, "hybride", None, None)

    assert (
        claire.post(
            f"{base}/travail",
            data={
                "travail-done_on": "2026-03-20",
                "travail-minutes": "50",
                "travail-kind": "enquete",
                "travail-description": "Rencontre d’une infirmière",
                "travail-step_id": "",
            },
        ).status_code
        == 302
    )
    with db_app.app_context(), db.standalone() as s:
        work = s.scalars(select(PersonalWork)).one()
        assert (work.minutes, work.kind, work.done_on) == (50, "enquete", dt.date(2026, 3, 20))
        work_id = work.id
    page = text_of(claire.get(base))
    assert "Enquêtes de terrain" in page and "Rencontre d’une infirmière" in page
    assert claire.get(f"{base}/travail/{work_id}").status_code == 200

    assert claire.post(f"{base}/entretiens/{interview_id}/supprimer").status_code == 302
    assert claire.post(f"{base}/travail/{work_id}/supprimer").status_code == 302
    assert count(db_app, Interview) == 0 and count(db_app, PersonalWork) == 0


# --- refused input: 422, a message, nothing saved -----------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        (
            "entretiens",
            {"entretien-minutes": "-30", "entretien-mode": "presentiel"},
            "Une durée de 1 à 480 minutes.",
        ),
        (
            "entretiens",
            {"entretien-minutes": "60", "entretien-mode": "visio"},
            "Mode inconnu : choisissez présentiel, distanciel ou hybride.",
        ),
        (
            "entretiens",
            {"entretien-minutes": "soixante", "entretien-mode": "presentiel"},
            "Durée (minutes)",
        ),
        (
            "entretiens",
            {"entretien-minutes": "60", "entretien-mode": "presentiel", "entretien-held_at": ""},
            "Saisissez la date et l’heure de l’entretien.",
        ),
        (
            "travail",
            {"travail-minutes": "0", "travail-kind": "recherches"},
            "Une durée de 1 à 1 440 minutes.",
        ),
        (
            "travail",
            {"travail-minutes": "30", "travail-kind": "tests"},
            "Type inconnu : recherches, enquêtes de terrain, rédaction ou autre.",
        ),
    ],
)
def test_bad_interview_or_work_is_refused_and_nothing_saved(
    db_app: Flask,
    planned: World,
    claire: FlaskClient,
    path: str,
    data: dict[str, str],
    message: str,
) -> None:
    from service.models import Interview, PersonalWork

    defaults = {
        "entretien-held_at": "2026-03-16T09:30",
        "entretien-topic": "",
        "entretien-step_id": "",
        "travail-done_on": "2026-03-20",
        "travail-description": "",
        "travail-step_id": "",
    }
    response = claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/{path}", data={**defaults, **data}
    )
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert "Le formulaire n’a pas pu être enregistré" in page
    assert count(db_app, Interview) == 0 and count(db_app, PersonalWork) == 0


def test_a_step_of_another_bilan_is_refused(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    from service.models import Interview

    plan(db_app, planned.other_bilan, dt.date(2026, 3, 16))
    foreign = steps_of(db_app, planned.other_bilan)[0]["id"]
    response = claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/entretiens",
        data={
            "entretien-held_at": "2026-03-16T09:30",
            "entretien-minutes": "60",
            "entretien-mode": "presentiel",
            "entretien-step_id": str(foreign),
        },
    )
    assert response.status_code == 422
    assert "Étape inconnue : choisissez une étape de ce bilan." in text_of(response)
    assert count(db_app, Interview) == 0
    # and its edit page is not found under Camille's bilan
    assert (
        claire.get(f"/conseil/bilans/{planned.bilan}/dossier/etapes/{foreign}").status_code == 404
    )


def test_record_end_before_start_is_refused_and_nothing_saved(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    url = f"/conseil/bilans/{world.bilan}/dossier"
    response = claire.post(
        url,
        data={
            "dossier-funding": "CPF",
            "dossier-start_date": "2026-03-16",
            "dossier-planned_end": "2026-03-01",
        },
    )
    assert response.status_code == 422
    assert "La fin prévue ne peut pas précéder le début du bilan." in text_of(response)
    bilan = bilan_row(db_app, world.bilan)
    assert (bilan.funding, bilan.start_date, bilan.planned_end) == (None, None, None)

    ok = claire.post(
        url,
        data={
            "dossier-funding": "CPF",
            "dossier-commanditaire": "",
            "dossier-convention_date": "2026-03-10",
            "dossier-convention_signatories": "Camille Martin ; Centre test",
            "dossier-convention_signed": "y",
            "dossier-objectives": "Clarifier un projet de reconversion.",
            "dossier-start_date": "2026-03-16",
            "dossier-planned_end": "2026-06-16",
            "dossier-followup_date": "",
        },
    )
    assert ok.status_code == 302
    bilan = bilan_row(db_app, world.bilan)
    assert (bilan.funding, bilan.commanditaire, bilan.convention_signed) == ("CPF", None, True)
    assert bilan.convention_date == dt.date(2026, 3, 10)
    assert bilan.objectives == "Clarifier un projet de reconversion."
    assert (bilan.start_date, bilan.planned_end) == (dt.date(2026, 3, 16), dt.date(2026, 6, 16))

    early = claire.post(
        url,
        data={
            "dossier-start_date": "2026-03-16",
            "dossier-planned_end": "2026-06-16",
            "dossier-followup_date": "2026-05-01",
        },
    )
    assert early.status_code == 422
    assert "Le suivi se situe après la fin du bilan" in text_of(early)
    assert bilan_row(db_app, world.bilan).funding == "CPF"


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("deux", "Un nombre d’heures, par exemple 2 ou 1,5."),
        ("30", "entre 0 et 24"),
        ("-1", "entre 0 et 24"),
    ],
)
def test_bad_step_hours_are_refused(
    db_app: Flask, planned: World, claire: FlaskClient, hours: str, message: str
) -> None:
    step = steps_of(db_app, planned.bilan)[1]
    response = claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/etapes/{step['id']}",
        data={
            "phase": "investigation",
            "name": "Autre nom",
            "interview_hours": hours,
            "personal_hours": "1",
        },
    )
    assert response.status_code == 422
    assert message in text_of(response)
    assert steps_of(db_app, planned.bilan)[1]["name"] == step["name"]


def test_service_refuses_what_a_form_might_let_through(db_app: Flask, planned: World) -> None:
    from service.extensions import db
    from service.features.record import service as record
    from service.models import Bilan

    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, planned.bilan)
        for values, field in (
            (record.InterviewValues(Z(2026, 3, 16), -5, "presentiel", None, None), "minutes"),
            (record.InterviewValues(Z(2026, 3, 16), 60, "telephone", None, None), "mode"),
            (record.InterviewValues(Z(2026, 3, 16), 60, "presentiel", None, 99999), "step_id"),
        ):
            with pytest.raises(record.RecordError) as caught:
                record.add_interview(s, bilan, values)
            assert caught.value.field == field
        with pytest.raises(record.RecordError) as caught:
            record.check_step(
                record.StepValues("investigation", "x", None, Decimal(1), Decimal(1), ("nope",)),
                ["riasec-60"],
            )
        assert caught.value.field == "instruments"


# --- status -------------------------------------------------------------------------------


def test_status_transitions(db_app: Flask, planned: World, claire: FlaskClient) -> None:
    from service.models import Bilan, Interview

    url = f"/conseil/bilans/{planned.bilan}/dossier/statut"

    def status() -> str:
        return str(bilan_row(db_app, planned.bilan).status)

    assert claire.post(url, data={"status": "investigation"}).status_code == 302
    assert status() == "investigation"
    assert claire.post(url, data={"status": "conclusions"}).status_code == 302
    back = claire.post(url, data={"status": "investigation"})  # back one phase: a correction
    assert back.status_code == 302 and status() == "investigation"

    # the end is declared on the "Terminer le bilan" page, not here
    refused = claire.post(url, data={"status": "termine"})
    assert refused.status_code == 409
    assert "Passage impossible de « Phase d’investigation » à « Terminé »." in text_of(refused)
    assert status() == "investigation"
    assert claire.post(url, data={"status": "fini"}).status_code == 422
    assert claire.post(url, data={"status": "preliminaire"}).status_code == 302
    assert claire.post(url, data={"status": "conclusions"}).status_code == 409  # two at once

    set_values(db_app, Bilan, planned.bilan, status="termine", ended_at=Z(2026, 6, 20))
    assert claire.post(url, data={"status": "conclusions"}).status_code == 409  # never back
    assert claire.post(url, data={"status": "suivi"}).status_code == 409  # the follow-up job
    assert status() == "termine"
    assert claire.post(url, data={"status": "clos"}).status_code == 302
    assert status() == "clos"
    for target in ("preliminaire", "conclusions", "termine", "suivi"):
        assert claire.post(url, data={"status": target}).status_code == 409
    assert status() == "clos"

    # a closed record is read-only
    page = text_of(claire.get(f"/conseil/bilans/{planned.bilan}/dossier"))
    assert "Ce bilan est clos : son dossier est en lecture seule." in page
    assert "Enregistrer un entretien" not in page
    response = claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/entretiens",
        data={
            "entretien-held_at": "2026-12-16T09:30",
            "entretien-minutes": "60",
            "entretien-mode": "presentiel",
        },
    )
    assert response.status_code == 409
    assert "Ce bilan est clos : son dossier ne peut plus être modifié." in text_of(response)
    assert count(db_app, Interview) == 0


def test_transition_table() -> None:
    from service.models.states import TRANSITIONS, BilanStatus

    legal = {"preliminaire", "investigation", "conclusions"}
    assert set(TRANSITIONS) == set(BilanStatus)
    assert TRANSITIONS["clos"] == ()
    for after_end in ("termine", "suivi"):
        assert legal.isdisjoint(TRANSITIONS[after_end])
    assert all("termine" not in targets for targets in TRANSITIONS.values())


# --- steps of a bilan and phase-linked questionnaires -------------------------------------


def test_edit_add_move_and_remove_steps_of_a_bilan(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    from service.models import Interview

    base = f"/conseil/bilans/{planned.bilan}/dossier/etapes"
    steps = steps_of(db_app, planned.bilan)
    (interview_id,) = add_rows(
        db_app,
        Interview(
            bilan_id=planned.bilan,
            step_id=steps[1]["id"],
            held_at=Z(2026, 3, 31, 7, 30),
            minutes=120,
            mode="presentiel",
        ),
    )
    response = claire.post(
        f"{base}/nouvelle",
        data={
            "phase": "investigation",
            "name": "Atelier réseau",
            "interview_hours": "1",
            "personal_hours": "0,5",
            "instruments": ["spi-135"],
            "planned_at": "2026-05-20T14:00",
        },
    )
    assert response.status_code == 302
    added = steps_of(db_app, planned.bilan)[-1]
    assert (added["position"], added["name"], added["hours"]) == (9, "Atelier réseau", (1.0, 0.5))
    assert added["instruments"] == "spi-135"
    assert added["planned_at"] == Z(2026, 5, 20, 12, 0)

    assert (
        claire.post(f"{base}/{steps[2]['id']}/deplacer", data={"sens": "haut"}).status_code == 302
    )
    names = [s["name"] for s in steps_of(db_app, planned.bilan)]
    assert names[1:3] == [steps[2]["name"], steps[1]["name"]]

    assert claire.post(f"{base}/{steps[1]['id']}/supprimer").status_code == 302
    assert len(steps_of(db_app, planned.bilan)) == 8
    from service.extensions import db

    with db_app.app_context(), db.standalone() as s:
        kept = s.get(Interview, interview_id)
        assert kept is not None and kept.step_id is None  # the hours stay, unlinked


def test_phase_linked_questionnaires_and_their_restitution(
    db_app: Flask, claire: FlaskClient
) -> None:
    from service.models import Assignment

    claire.post(
        "/conseil/bilans/nouveau",
        data={
            "first_name": "Léa",
            "last_name": "Durand",
            "language": "fr",
            "title": "Bilan",
            "start_date": "2026-03-16",
        },
    )
    bilan_id = 3
    steps = steps_of(db_app, bilan_id)
    page = text_of(claire.get(f"/conseil/bilans/{bilan_id}/dossier"))
    assert "Valeurs au travail : non assigné" in page
    assert "Restitution à l’entretien du 15 avril 2026 : questionnaires à terminer avant." in page
    url = f"/conseil/bilans/{bilan_id}/dossier/etapes/{steps[2]['id']}/questionnaires"
    assert claire.post(url).status_code == 302
    from service.extensions import db

    with db_app.app_context(), db.standalone() as s:
        ids = sorted(
            s.scalars(select(Assignment.instrument_id).where(Assignment.bilan_id == bilan_id))
        )
    assert ids == ["ipip-bfi-25", "riasec-60", "valeurs-travail"]
    page = text_of(claire.get(f"/conseil/bilans/{bilan_id}/dossier"))
    assert "Valeurs au travail : Non commencé" in page
    assert "Assigner les questionnaires" not in page
    claire.post(url)
    assert count(db_app, Assignment, bilan_id=bilan_id) == 3  # nothing assigned twice


# --- calendar -----------------------------------------------------------------------------


def parse_ics(data: bytes) -> list[dict[str, str]]:
    """The VEVENTs of a calendar (after checking its lines), property name -> raw value."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "bare LF: lines must end with CRLF"
    assert "\r" not in text.replace("\r\n", "")
    physical = text[:-2].split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    unfolded = re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in unfolded and any(u.startswith("PRODID:") for u in unfolded)
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfolded:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return events


def test_counsellor_calendar_is_valid_icalendar(
    db_app: Flask, planned: World, claire: FlaskClient
) -> None:
    step = steps_of(db_app, planned.bilan)[2]
    claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/etapes/{step['id']}",
        data={
            "phase": "investigation",
            "name": "Restitution; valeurs, intérêts",
            "objectives": "Ligne 1\nLigne 2 \\ fin",
            "interview_hours": "1,5",
            "personal_hours": "1",
            "instruments": ["riasec-60"],
            "planned_at": "2026-04-15T09:30",
        },
    )
    response = claire.get(f"/conseil/bilans/{planned.bilan}/calendrier.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert any(line.startswith(" ") for line in response.data.decode().split("\r\n"))  # folded
    events = parse_ics(response.data)
    assert len(events) == 8  # one per planned step (7 interviews and the follow-up)
    assert [e["DTSTART"] for e in events] == [
        "20260316T083000Z",
        "20260331T073000Z",
        "20260415T073000Z",
        "20260430T073000Z",
        "20260515T073000Z",
        "20260601T073000Z",
        "20260615T073000Z",
        "20261216T083000Z",
    ]
    assert [e["DURATION"] for e in events] == ["PT2H", "PT2H", "PT1H30M"] + ["PT2H"] * 4 + ["PT1H"]
    assert len({e["UID"] for e in events}) == 8
    assert all(re.fullmatch(r"\d{8}T\d{6}Z", e["DTSTAMP"]) for e in events)
    assert events[2]["SUMMARY"] == "Restitution\\; valeurs\\, intérêts — Camille Martin"
    assert events[2]["DESCRIPTION"] == "Ligne 1\\nLigne 2 \\\\ fin"

    # the follow-up date fixed on the record moves the follow-up interview
    claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier",
        data={
            "dossier-start_date": "2026-03-16",
            "dossier-planned_end": "2026-06-16",
            "dossier-followup_date": "2027-01-11",
        },
    )
    events = parse_ics(claire.get(f"/conseil/bilans/{planned.bilan}/calendrier.ics").data)
    assert events[-1]["DTSTART"] == "20270111T083000Z"


def test_beneficiary_calendar_has_dates_and_generic_titles_only(
    db_app: Flask, planned: World
) -> None:
    from service.models import Bilan

    set_values(db_app, Bilan, planned.bilan, objectives="Objectif confidentiel")
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, planned.beneficiary)
    response = person.get(f"/espace/bilans/{planned.bilan}/calendrier.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = parse_ics(response.data)
    assert [e["SUMMARY"] for e in events] == ["Entretien de bilan de compétences"] * 7 + [
        "Entretien de suivi du bilan de compétences"
    ]
    assert events[0]["DTSTART"] == "20260316T083000Z"
    assert all(set(e) == {"UID", "DTSTAMP", "DTSTART", "DURATION", "SUMMARY"} for e in events)
    text = response.data.decode()
    for secret in ("Camille", "Capital", "Restitution", "Objectif", "DESCRIPTION"):
        assert secret not in text


# --- the centre's template ----------------------------------------------------------------


def test_admin_edits_the_centre_template_used_by_new_plans(
    db_app: Flask, planned: World, admin: FlaskClient, claire: FlaskClient
) -> None:
    from service.models import CentreStep

    page = admin.get("/conseil/centre/modele")
    assert page.status_code == 200
    assert "24 h sur 24 h ; suivi : 1 h" in text_of(page)
    from service.extensions import db

    with db_app.app_context(), db.standalone() as s:
        ids = list(s.scalars(select(CentreStep.id).order_by(CentreStep.position)))
    first = admin.get(f"/conseil/centre/modele/etapes/{ids[0]}")
    assert first.status_code == 200 and "planned_at" not in first.get_data(as_text=True)
    assert (
        admin.post(
            f"/conseil/centre/modele/etapes/{ids[0]}",
            data={
                "phase": "preliminaire",
                "name": "Accueil",
                "interview_hours": "1,5",
                "personal_hours": "0",
            },
        ).status_code
        == 302
    )
    assert (
        admin.post(
            "/conseil/centre/modele/etapes/nouvelle",
            data={
                "phase": "investigation",
                "name": "Atelier collectif",
                "interview_hours": "0",
                "personal_hours": "2,5",
            },
        ).status_code
        == 302
    )
    page = text_of(admin.get("/conseil/centre/modele"))
    assert "Accueil" in page and "Atelier collectif" in page
    assert "Le plan prévoit 26 h, au-delà du plafond légal de 24 h du bilan" in page

    # a new bilan planned now takes the template; Camille's plan does not change
    claire.post(
        "/conseil/bilans/nouveau",
        data={
            "first_name": "Léa",
            "last_name": "Durand",
            "language": "fr",
            "title": "Bilan",
            "start_date": "2026-03-16",
        },
    )
    new = steps_of(db_app, 3)
    assert (new[0]["name"], new[0]["hours"]) == ("Accueil", (1.5, 0.0))
    assert (new[-1]["name"], new[-1]["planned_at"]) == ("Atelier collectif", None)
    assert steps_of(db_app, planned.bilan)[0]["hours"] == (2.0, 0.0)

    assert (
        admin.post(
            f"/conseil/centre/modele/etapes/{ids[7]}/deplacer", data={"sens": "bas"}
        ).status_code
        == 302
    )
    with db_app.app_context(), db.standalone() as s:
        order = list(s.scalars(select(CentreStep.name).order_by(CentreStep.position)))
    assert order[-2:] == ["Atelier collectif", "Entretien de suivi (3 à 6 mois après la fin)"]
    assert admin.post(f"/conseil/centre/modele/etapes/{ids[1]}/supprimer").status_code == 302
    assert count(db_app, CentreStep) == 8
    assert admin.post("/conseil/centre/modele/reinitialiser").status_code == 302
    with db_app.app_context(), db.standalone() as s:
        names = list(s.scalars(select(CentreStep.name).order_by(CentreStep.position)))
    from service.features.record.service import DEFAULT_STEPS

    assert names == [t.name for t in DEFAULT_STEPS]


# --- who may NOT ---------------------------------------------------------------------------


def _fixtures(app: Flask, world: World) -> dict[str, int]:
    from service.models import Interview, PersonalWork

    plan(app, world.bilan, dt.date(2026, 3, 16))
    step = steps_of(app, world.bilan)[1]["id"]
    interview, work = add_rows(
        app,
        Interview(
            bilan_id=world.bilan, held_at=Z(2026, 3, 16, 8, 30), minutes=60, mode="presentiel"
        ),
        PersonalWork(bilan_id=world.bilan, done_on=dt.date(2026, 3, 20), minutes=30, kind="autre"),
    )
    return {"step": step, "interview": interview, "work": work}


COUNSELLOR_GETS = [
    "/conseil/bilans/{b}/dossier",
    "/conseil/bilans/{b}/dossier/etapes/nouvelle",
    "/conseil/bilans/{b}/dossier/etapes/{step}",
    "/conseil/bilans/{b}/dossier/entretiens/{interview}",
    "/conseil/bilans/{b}/dossier/travail/{work}",
    "/conseil/bilans/{b}/calendrier.ics",
]
COUNSELLOR_POSTS = [
    "/conseil/bilans/{b}/dossier",
    "/conseil/bilans/{b}/dossier/statut",
    "/conseil/bilans/{b}/dossier/calendrier",
    "/conseil/bilans/{b}/dossier/etapes/nouvelle",
    "/conseil/bilans/{b}/dossier/etapes/{step}",
    "/conseil/bilans/{b}/dossier/etapes/{step}/deplacer",
    "/conseil/bilans/{b}/dossier/etapes/{step}/questionnaires",
    "/conseil/bilans/{b}/dossier/etapes/{step}/supprimer",
    "/conseil/bilans/{b}/dossier/entretiens",
    "/conseil/bilans/{b}/dossier/entretiens/{interview}",
    "/conseil/bilans/{b}/dossier/entretiens/{interview}/supprimer",
    "/conseil/bilans/{b}/dossier/travail",
    "/conseil/bilans/{b}/dossier/travail/{work}",
    "/conseil/bilans/{b}/dossier/travail/{work}/supprimer",
]
#: A POST that would change something if it were accepted.
ANY_CHANGE = {
    "dossier-funding": "Intrus",
    "status": "investigation",
    "plan-start_date": "2027-01-04",
    "plan-at": "08:00",
    "phase": "investigation",
    "name": "Intrus",
    "interview_hours": "9",
    "personal_hours": "9",
    "sens": "haut",
    "entretien-held_at": "2026-03-16T09:30",
    "entretien-minutes": "60",
    "entretien-mode": "presentiel",
    "travail-done_on": "2026-03-16",
    "travail-minutes": "60",
    "travail-kind": "autre",
}


def _state(app: Flask, world: World) -> tuple[Any, ...]:
    from service.models import Assignment, Interview, PersonalWork

    bilan = bilan_row(app, world.bilan)
    return (
        bilan.status,
        bilan.funding,
        bilan.start_date,
        [(s["name"], s["hours"], s["planned_at"]) for s in steps_of(app, world.bilan)],
        count(app, Interview),
        count(app, PersonalWork),
        count(app, Assignment),
    )


def test_claire_reaches_every_record_page(db_app: Flask, world: World, claire: FlaskClient) -> None:
    ids = _fixtures(db_app, world)
    for url in COUNSELLOR_GETS:
        assert claire.get(url.format(b=world.bilan, **ids)).status_code == 200, url


def test_nobody_else_sees_or_changes_the_record(db_app: Flask, world: World) -> None:
    ids = _fixtures(db_app, world)
    before = _state(db_app, world)
    expected = {"paul": 404, "admin": 404, "other_beneficiary": 403, "anonymous": 302}
    for who, client in other_clients(db_app, world).items():
        for url in COUNSELLOR_GETS:
            response = client.get(url.format(b=world.bilan, **ids))
            assert response.status_code == expected[who], (who, url)
            if who == "anonymous":
                assert "/connexion" in response.headers["Location"]
        for url in COUNSELLOR_POSTS:
            response = client.post(url.format(b=world.bilan, **ids), data=ANY_CHANGE)
            assert response.status_code == expected[who], (who, url)
    assert _state(db_app, world) == before


def test_beneficiary_calendar_access(db_app: Flask, planned: World) -> None:
    url = f"/espace/bilans/{planned.bilan}/calendrier.ics"
    camille = db_app.test_client()
    sign_in_beneficiary(camille, db_app, planned.beneficiary)
    assert camille.get(url).status_code == 200
    assert camille.get(f"/espace/bilans/{planned.other_bilan}/calendrier.ics").status_code == 404
    assert camille.get(f"/conseil/bilans/{planned.bilan}/calendrier.ics").status_code == 403
    others = other_clients(db_app, planned)
    assert others["other_beneficiary"].get(url).status_code == 404
    assert others["paul"].get(url).status_code == 403  # staff: not a beneficiary page
    assert others["admin"].get(url).status_code == 403
    assert others["anonymous"].get(url).status_code == 302


def test_only_the_centres_admins_edit_its_template(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import Centre, CentreStep, StaffUser
    from service.security import hash_password

    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    assert admin.get("/conseil/centre/modele").status_code == 200  # seeds the template
    with db_app.app_context(), db.standalone() as s:
        step_id = s.scalars(select(CentreStep.id).order_by(CentreStep.position)).first()
        other = Centre(name="Autre centre")
        s.add(other)
        s.flush()
        s.add(
            StaffUser(
                centre_id=other.id,
                email="admin2@test.fr",
                name="admin2",
                role="admin",
                password_hash=hash_password("mot-de-passe-de-test"),
            )
        )
    urls = [
        ("get", "/conseil/centre/modele"),
        ("get", "/conseil/centre/modele/etapes/nouvelle"),
        ("get", f"/conseil/centre/modele/etapes/{step_id}"),
        ("post", "/conseil/centre/modele/etapes/nouvelle"),
        ("post", f"/conseil/centre/modele/etapes/{step_id}"),
        ("post", f"/conseil/centre/modele/etapes/{step_id}/deplacer"),
        ("post", f"/conseil/centre/modele/etapes/{step_id}/supprimer"),
        ("post", "/conseil/centre/modele/reinitialiser"),
    ]
    clients = other_clients(db_app, world)
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    expected = {
        "claire": 403,
        "paul": 403,
        "other_beneficiary": 403,
        "anonymous": 302,
    }
    for who, client in [("claire", claire), *((k, v) for k, v in clients.items() if k != "admin")]:
        for method, url in urls:
            response = getattr(client, method)(url, data=ANY_CHANGE)
            assert response.status_code == expected[who], (who, method, url)
    # another centre's admin: their own template, never this centre's steps
    admin2 = db_app.test_client()
    sign_in_staff(admin2, "admin2@test.fr")
    assert admin2.get("/conseil/centre/modele").status_code == 200
    for method, url in urls[2:3] + urls[4:7]:
        assert getattr(admin2, method)(url, data=ANY_CHANGE).status_code == 404, url
    with db_app.app_context(), db.standalone() as s:
        mine = list(
            s.scalars(
                select(CentreStep.name)
                .where(CentreStep.centre_id == world.centre)
                .order_by(CentreStep.position)
            )
        )
    from service.features.record.service import DEFAULT_STEPS

    assert mine == [t.name for t in DEFAULT_STEPS]


def test_access_rules() -> None:
    from types import SimpleNamespace

    from service import access
    from service.models import Beneficiary, Bilan, StaffUser

    claire = StaffUser(id=1, centre_id=1, role="counsellor", active=True)
    paul = StaffUser(id=2, centre_id=1, role="counsellor", active=True)
    admin = StaffUser(id=3, centre_id=1, role="admin", active=True)
    camille = Beneficiary(id=10, centre_id=1)
    other = Beneficiary(id=11, centre_id=1)
    bilan = Bilan(id=5, centre_id=1, beneficiary_id=10)
    bilan.counsellors.append(claire)
    anonymous = SimpleNamespace(is_authenticated=False)
    assert access.can_edit_record(claire, bilan)
    assert not any(
        access.can_edit_record(p, bilan) for p in (paul, admin, camille, other, anonymous)
    )
    assert access.can_download_calendar(claire, bilan) and access.can_download_calendar(
        camille, bilan
    )
    assert not any(access.can_download_calendar(p, bilan) for p in (paul, admin, other, anonymous))
    assert access.can_edit_centre_template(admin, 1)
    assert not access.can_edit_centre_template(admin, 2)
    assert not any(access.can_edit_centre_template(p, 1) for p in (claire, camille, anonymous))


def test_counsellor_calendar_speaks_the_readers_language(db_app: Flask, planned: World) -> None:
    """A built-in step is named in the counsellor's language; a step the counsellor named
    stays as written."""
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    claire.post("/langue", data={"lang": "en"})
    events = parse_ics(claire.get(f"/conseil/bilans/{planned.bilan}/calendrier.ics").data)
    summaries = [e["SUMMARY"] for e in events]
    assert any(s.startswith("Personal assets — life path — ") for s in summaries), summaries
    assert not any("Capital personnel" in s for s in summaries)
    assert not any("Analyse de la demande" in e.get("DESCRIPTION", "") for e in events)
