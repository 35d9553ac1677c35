"""Satisfaction and follow-up questionnaires are anonymous (issue 11).

Camille's bilan has its three questionnaires completed, then the end-of-bilan
satisfaction survey and the 6-month follow-up questionnaire completed, and the follow-up
satisfaction survey started. Their free texts hold unique markers and their answers
distinctive values (every rated point "Très insatisfaisant", a recommendation of 0, a
business set up, a project given up); they were answered in 1 second (a validity flag,
were they scored) and were even "released" to the person, with a score record stored as
the code did before this change. None of it may reach a page, a report or an export, for
the counsellor or for the person: the counsellor sees that they are assigned and
whether they are completed. The centre's statistics still count them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from service.models import utcnow
from tests.service.conftest import World, sign_in_staff
from tests.service.test_counsellor import BFI, RIASEC, VALUES, complete

SAT = "satisfaction-fin-bilan"
SUIVI = "suivi-6-mois"

MARKERS = {
    "SAT_PLUS_UTILE": "MARQUEUR-SAT-UTILE-4Q7W",
    "SAT_A_AMELIORER": "MARQUEUR-SAT-AMELIORER-9ZKX",
    "SUI_SITUATION_PRECISION": "MARQUEUR-SUIVI-SITUATION-2XWB",
    "SUI_AIDES_FREINS": "MARQUEUR-SUIVI-FREINS-7HBQ",
    "SUI_COMMENTAIRE": "MARQUEUR-SUIVI-COMMENTAIRE-5PLM",
}
STARTED_MARKER = "MARQUEUR-SAT-EN-COURS-8RTV"

#: Labels of the distinctive answers given (shown by an answers view, nowhere else).
ANSWER_LABELS = (
    "Très insatisfaisant",
    "Pas du tout utile",
    "En création ou en reprise d’entreprise",
    "Il a laissé place à un autre projet",
)


def satisfaction_answers() -> dict[str, Any]:
    out: dict[str, Any] = {f"SAT{i:02d}": 1 for i in range(1, 15)}
    out["SAT_RECO"] = 0
    out["SAT_PLUS_UTILE"] = MARKERS["SAT_PLUS_UTILE"]
    out["SAT_A_AMELIORER"] = MARKERS["SAT_A_AMELIORER"]
    return out


def followup_answers() -> dict[str, Any]:
    out: dict[str, Any] = {f"SUI_UTIL{i}": 1 for i in range(1, 5)}
    out |= {
        "SUI_SITUATION": 5,
        "SUI_PROJET": 3,
        "SUI_ETAPES_NB": 13,
        "SUI_ETAPES_PART": 0,
        "SUI_SATISFACTION": 1,
        "SUI_RECO": 0,
        "SUI_ENTRETIEN": 1,
    }
    out |= {k: v for k, v in MARKERS.items() if k.startswith("SUI_")}
    return out


@dataclass
class Anonymous:
    world: World
    end: int  # end-of-bilan satisfaction, completed
    followup: int  # 6-month follow-up questionnaire, completed
    started: int  # follow-up satisfaction, started

    @property
    def completed(self) -> tuple[int, int]:
        return (self.end, self.followup)


@pytest.fixture
def anon(db_app: Flask, world: World) -> Anonymous:
    from service.extensions import db
    from service.features.followup import service as followup
    from service.features.journey import completion
    from service.features.journey import store as answer_store
    from service.models import Assignment, Bilan, ScoreRecord

    for iid in (BFI, RIASEC, VALUES):
        complete(db_app, world.assignments[iid])
    instruments = db_app.extensions["boussole.instruments"]
    with db_app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        result = followup.end_bilan(s, bilan, instruments, when=utcnow())
        assert result.satisfaction is not None
        end = result.satisfaction.id
        later = []
        for iid in (SUIVI, SAT):
            a = Assignment(
                bilan_id=bilan.id,
                instrument_id=iid,
                instrument_version=instruments[iid].version,
                purpose="followup",
            )
            s.add(a)
            s.flush()
            later.append(a.id)
    suivi, started = later
    complete(db_app, end, satisfaction_answers(), seconds=1)
    complete(db_app, suivi, followup_answers(), seconds=1)
    with db_app.app_context(), db.standalone() as s:
        for item, value in (("SAT01", 1), ("SAT02", 1), ("SAT_A_AMELIORER", STARTED_MARKER)):
            answer_store.upsert_answer(s, started, item, value)
        s.get(Assignment, started).status = "in_progress"  # type: ignore[union-attr]
        # As the code did before this change: a score record, and results "released".
        for aid in (end, suivi):
            a = s.get(Assignment, aid)
            assert a is not None
            inst = instruments[a.instrument_id]
            scores, key, norms = completion.score_answers(
                inst, answer_store.stored_answers(s, aid), respondent=aid, seconds=1.0
            )
            assert any(k.startswith("flag.") and v is True for k, v in scores.items())
            if s.scalar(select(ScoreRecord.id).where(ScoreRecord.assignment_id == aid)) is None:
                s.add(
                    ScoreRecord(
                        assignment_id=aid, instrument_key=key, norm_version=norms, scores=scores
                    )
                )
            a.show_results_now = True
            a.released_at = utcnow()
    return Anonymous(world, end, suivi, started)


def answer_texts(app: Flask) -> list[str]:
    """What only the answers of the anonymous questionnaires can put on a page: the
    markers, the distinctive answers, the question texts and the scale names."""
    instruments = app.extensions["boussole.instruments"]
    out = [*MARKERS.values(), STARTED_MARKER, *ANSWER_LABELS]
    for iid in (SAT, SUIVI):
        inst = instruments[iid]
        out.extend(it.text.fr for it in inst.items)
        # "Document de synthèse" is also the name of the synthesis and its links
        out.extend(s.name.fr for s in inst.scales if s.id != "synthese")
    return out


def questionnaire_names(app: Flask) -> list[str]:
    """Names and ids of the anonymous questionnaires and of their scales: absent from
    every result (profile, comparison, report, exports, synthesis)."""
    instruments = app.extensions["boussole.instruments"]
    out = []
    for iid in (SAT, SUIVI):
        inst = instruments[iid]
        out.extend([iid, inst.name.fr])
        # scale ids as the exports name them; "organisation" or "outils" are plain words
        out.extend(s.id for s in inst.scales if "_" in s.id)
    return out


def text_of(response: Any) -> str:
    """A response as text: HTML, CSV and JSON as they are; PDF and XLSX as their text."""
    data: bytes = response.data
    if data.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() for page in reader.pages)
    if data.startswith(b"PK"):
        book = load_workbook(io.BytesIO(data))
        return "\n".join(
            str(cell.value)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        )
    return data.decode("utf-8-sig")


def assert_hidden(text: str, forbidden: list[str], where: str) -> None:
    found = [f for f in forbidden if f in text]
    assert not found, f"{where} shows {found}"


def share_a_synthesis(claire: FlaskClient, bilan: int) -> None:
    sections = {"circumstances": "Contexte.", "competences": "Forces.", "project": "Projet."}
    assert claire.post(f"/conseil/bilans/{bilan}/synthese", data=sections).status_code == 302
    assert claire.post(f"/conseil/bilans/{bilan}/synthese/partage").status_code == 302


# --- the counsellor -----------------------------------------------------------------------


def test_no_counsellor_page_or_export_shows_an_anonymous_answer(
    db_app: Flask, anon: Anonymous, claire: FlaskClient
) -> None:
    b = anon.world.bilan
    share_a_synthesis(claire, b)
    content = answer_texts(db_app)
    results = content + questionnaire_names(db_app)
    # pages that list the questionnaires by name (assigned, completed): content hidden
    for url in (
        "/conseil/",
        f"/conseil/bilans/{b}",
        f"/conseil/bilans/{b}/fin",
        f"/conseil/bilans/{b}/dossier",
        f"/conseil/bilans/{b}/attestation",
        f"/conseil/bilans/{b}/plan-action",
    ):
        response = claire.get(url)
        assert response.status_code == 200, url
        assert_hidden(text_of(response), content, url)
    # results of the bilan: the anonymous questionnaires are not there at all
    for url in (
        f"/conseil/bilans/{b}/comparaison",
        f"/conseil/bilans/{b}/rapport",
        f"/conseil/bilans/{b}/rapport.pdf",
        f"/conseil/bilans/{b}/scores.csv",
        f"/conseil/bilans/{b}/scores.xlsx",
        f"/conseil/bilans/{b}/scores.json",
        "/conseil/portefeuille.csv",
        "/conseil/portefeuille.xlsx",
        f"/conseil/bilans/{b}/synthese",
        f"/conseil/bilans/{b}/synthese/resultats",
        f"/conseil/bilans/{b}/synthese/document",
        f"/conseil/bilans/{b}/synthese.json",
        f"/conseil/bilans/{b}/synthese.pdf",
    ):
        response = claire.get(url)
        assert response.status_code == 200, url
        assert_hidden(text_of(response), results, url)
    # the three questionnaires that are results are still there
    data = json.loads(claire.get(f"/conseil/bilans/{b}/scores.json").data)
    assert len(data["questionnaires"]) == 3
    rows = list(csv.reader(io.StringIO(text_of(claire.get("/conseil/portefeuille.csv")))))
    assert len(rows) == 1 + 3
    report = text_of(claire.get(f"/conseil/bilans/{b}/rapport"))
    assert report.count('class="questionnaire"') == 3
    # and an anonymous questionnaire cannot be proposed for the synthesis
    for aid in anon.completed:
        r = claire.post(
            f"/conseil/bilans/{b}/synthese/resultats",
            data={"assignment_id": str(aid), "element": "summary"},
        )
        assert r.status_code == 422


def test_the_profile_and_answers_of_an_anonymous_questionnaire_do_not_exist(
    anon: Anonymous, claire: FlaskClient
) -> None:
    bilan_page = claire.get(f"/conseil/bilans/{anon.world.bilan}").get_data(as_text=True)
    for aid in (*anon.completed, anon.started):
        base = f"/conseil/questionnaires/{aid}/profil"
        for query in ("", "?reponses=1", "?facettes=1", "?reponses=1&facettes=1"):
            assert claire.get(base + query).status_code == 404, base + query
        assert base not in bilan_page
    for iid in (BFI, RIASEC, VALUES):  # the results remain the counsellor's to read
        aid = anon.world.assignments[iid]
        assert claire.get(f"/conseil/questionnaires/{aid}/profil?reponses=1").status_code == 200
        assert f"/conseil/questionnaires/{aid}/profil" in bilan_page


def test_the_counsellor_sees_only_whether_they_are_assigned_and_completed(
    db_app: Flask, anon: Anonymous, claire: FlaskClient
) -> None:
    instruments = db_app.extensions["boussole.instruments"]
    sat, suivi = instruments[SAT].name.fr, instruments[SUIVI].name.fr
    dashboard = claire.get("/conseil/").get_data(as_text=True)
    # completed, without a validity alert (answered in 1 second: a flag, were they scored)
    assert re.search(rf'{sat} —\s*<span class="status-done">terminé le', dashboard)
    assert re.search(rf'{suivi} —\s*<span class="status-done">terminé le', dashboard)
    assert not re.search(r"points? de vigilance", dashboard)
    assert re.search(rf"{sat} —\s*en cours\s*</li>", dashboard)  # started: no percentage
    page = claire.get(f"/conseil/bilans/{anon.world.bilan}").get_data(as_text=True)
    assert not re.search(r"points? de vigilance", page)
    assert not re.search(r"En cours : \d+ réponses? sur 17", page)  # the started survey
    assert "En cours" in page and page.count("Terminé le") == 5
    assert page.count("sans objet (réponses anonymes)") == 3
    assert "Les réponses aux questionnaires de satisfaction et de suivi sont anonymes" in page
    for aid in (*anon.completed, anon.started):  # no results to show or hide
        assert f"/conseil/questionnaires/{aid}/diffusion" not in page
    assert f"/conseil/questionnaires/{anon.started}/relance" in page  # it can be reminded


def test_anonymous_questionnaires_cannot_be_assigned_by_hand(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.features.journey import service as journey
    from service.models import Assignment, Bilan

    page = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    assert f'<option value="{SAT}">' not in page and f'<option value="{SUIVI}">' not in page
    assert f'<option value="{BFI}">' in page
    for iid in (SAT, SUIVI):
        r = claire.post(
            f"/conseil/bilans/{world.bilan}/questionnaires",
            data={"instrument": iid, "language": "fr"},
        )
        assert r.status_code == 422
    instruments = db_app.extensions["boussole.instruments"]
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        with pytest.raises(journey.AssignmentRefused, match="statistiques du centre"):
            journey.assign(s, bilan, instruments[SAT], language="fr", show_results_now=True)
        ids = s.scalars(select(Assignment.instrument_id).where(Assignment.bilan_id == bilan.id))
        assert SAT not in set(ids)


# --- the person ---------------------------------------------------------------------------


def test_the_person_has_no_results_for_them_and_is_told_they_are_anonymous(
    db_app: Flask, anon: Anonymous, claire: FlaskClient, camille: FlaskClient
) -> None:
    from service.extensions import db
    from service.features.journey import consent
    from service.models import Beneficiary, Bilan

    b = anon.world.bilan
    with db_app.app_context(), db.standalone() as s:
        bilan, person = s.get(Bilan, b), s.get(Beneficiary, anon.world.beneficiary)
        assert bilan is not None and person is not None
        # the agreement to keep was given before the end (after it, a decision can only
        # shorten the keeping: without an earlier agreement the content would go at once)
        ended, bilan.ended_at = bilan.ended_at, None
        consent.record_consent(s, bilan, person, accepted=True, keep_for_followup=True)
        bilan.ended_at = ended
    assert claire.post(f"/conseil/bilans/{b}/rapport/diffusion", data={"show": "1"}).status_code
    share_a_synthesis(claire, b)
    content = answer_texts(db_app)
    for aid in anon.completed:
        assert camille.get(f"/espace/questionnaires/{aid}/resultats").status_code == 403
        thanks = camille.get(f"/espace/questionnaires/{aid}/merci").get_data(as_text=True)
        assert "Vos réponses sont anonymes" in thanks
        assert "statistiques du centre" in thanks
        assert "résultats" not in thanks and "restitution" not in thanks
        assert_hidden(thanks, content, f"thanks {aid}")
    home = camille.get("/espace/").get_data(as_text=True)
    for aid in anon.completed:
        assert f"/espace/questionnaires/{aid}/resultats" not in home
    assert home.count("Vos réponses sont anonymes : elles comptent seulement") == 2
    assert_hidden(home, content, "home")
    start = camille.get(f"/espace/questionnaires/{anon.started}").get_data(as_text=True)
    assert "Vos réponses sont anonymes : votre conseiller ou conseillère voit seulement" in start
    results = content + questionnaire_names(db_app)
    for url in (
        f"/espace/bilans/{b}/rapport",
        f"/espace/bilans/{b}/rapport.pdf",
        f"/espace/bilans/{b}/synthese",
        f"/espace/bilans/{b}/synthese.pdf",
    ):
        response = camille.get(url)
        assert response.status_code == 200, url
        assert_hidden(text_of(response), results, url)
    # a questionnaire that is a result keeps its thank-you page and its results
    bfi = anon.world.assignments[BFI]
    thanks = camille.get(f"/espace/questionnaires/{bfi}/merci").get_data(as_text=True)
    assert "entretien de restitution" in thanks and "anonymes" not in thanks


def test_the_access_rules_refuse_anonymous_results_to_everyone(
    db_app: Flask, anon: Anonymous
) -> None:
    from service import access
    from service.extensions import db
    from service.models import Assignment, Beneficiary, StaffUser

    instruments = db_app.extensions["boussole.instruments"]
    with db_app.app_context(), db.standalone() as s:
        counsellor = s.get(StaffUser, anon.world.counsellor)
        person = s.get(Beneficiary, anon.world.beneficiary)
        assert counsellor is not None and person is not None
        for aid in anon.completed:
            a = s.get(Assignment, aid)
            assert a is not None and a.is_completed and a.released_at is not None
            inst = instruments[a.instrument_id]
            assert access.is_anonymous(a, inst)
            for who in (counsellor, person):
                assert not access.can_view_results(who, a, inst)
                assert not access.can_view_answers(who, a, inst)
        bfi = s.get(Assignment, anon.world.assignments[BFI])
        assert bfi is not None
        assert access.can_view_results(counsellor, bfi, instruments[BFI])
        assert access.can_view_answers(counsellor, bfi, instruments[BFI])
        # the wrong instrument, or none: refused (what cannot be checked is not shown)
        assert not access.can_view_results(counsellor, bfi, instruments[RIASEC])
        assert not access.can_view_results(counsellor, bfi, None)


# --- the centre's statistics --------------------------------------------------------------


def test_anonymous_questionnaires_are_not_scored_per_person_and_still_counted(
    db_app: Flask, world: World
) -> None:
    """Five end-of-bilan surveys: no score record is kept for them; the admin's statistics
    compute the means from their answers and quote the free texts."""
    from service.extensions import db
    from service.models import ScoreRecord
    from tests.service.test_admin_satisfaction import new_bilan

    ids = []
    for k in range(5):
        (aid,) = new_bilan(db_app, world.centre, f"Personne{k}", [(SAT, "end")])
        answers = dict.fromkeys((f"SAT{i:02d}" for i in range(1, 15)), 1 + k % 4)
        answers |= {"SAT_RECO": 2 * k, "SAT_PLUS_UTILE": f"MARQUEUR-STAT-{k}"}
        complete(db_app, aid, answers)
        ids.append(aid)
    with db_app.app_context(), db.standalone() as s:
        stored = s.scalar(
            select(func.count()).select_from(ScoreRecord).where(ScoreRecord.assignment_id.in_(ids))
        )
    assert stored == 0
    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    html = admin.get("/admin/satisfaction").get_data(as_text=True)
    assert "Questionnaires remplis : 5 sur 5 (100\u00a0%)" in html
    # satisfaction_globale: (1 + 2 + 3 + 4 + 1) / 5 = 2,2; recommandation: (0+2+4+6+8)/5 = 4
    assert '<th scope="row">Satisfaction globale</th><td class="num">2,2</td>' in html
    assert '<th scope="row">Recommandation</th><td class="num">4</td>' in html
    for k in range(5):
        assert f"MARQUEUR-STAT-{k}" in html
    # scored as any questionnaire would be: the same means as one person's scores
    from service.features.followup import satisfaction as stats

    with db_app.app_context(), db.standalone() as s:
        rows = stats.group_scores(s, db_app.extensions["boussole.instruments"][SAT], ids)
    assert sorted(r["recommandation.mean"] or 0.0 for r in rows) == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert sorted(r["satisfaction_globale.mean"] or 0.0 for r in rows) == [1, 1, 2, 3, 4]
