"""The attestation of attendance for the funder (/conseil/bilans/<id>/attestation.pdf).

The proof that it carries no content: a bilan full of results, notes, objectives,
synthesis, action plan, interview topics, personal-work descriptions and free-text
answers, each with a distinctive marker; none of the markers (nor a questionnaire or
scale name) may appear in the HTML or in the text of the PDF, while the administrative
facts do. A canary (the funding, which must appear) shows that the PDF text extraction
would see a marker if there were one.

Hours by hand: interviews 120 + 90 = 210 min = 3 h 30; personal work 150 min = 2 h 30;
questionnaires: the three completed with 600 s each = 30 min (the satisfaction
questionnaire, also 600 s, is not work of the bilan); total 390 min = 6 h 30.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import audit_actions, complete, set_values

PARIS = dt.timezone(dt.timedelta(hours=1))  # March: winter time in Paris
CANARY = "FINANCEMENT-CANARI-7Q"
MARKERS = {
    "objectives": "MARQUEUR-OBJECTIFS-PERSONNALISES",
    "report": "MARQUEUR-COMMENTAIRE-RAPPORT",
    "assignment_report": "MARQUEUR-COMMENTAIRE-QUESTIONNAIRE",
    "note": "MARQUEUR-NOTE-PRIVEE",
    "circumstances": "MARQUEUR-SYNTHESE-CIRCONSTANCES",
    "competences": "MARQUEUR-SYNTHESE-COMPETENCES",
    "project": "MARQUEUR-SYNTHESE-PROJET",
    "observations": "MARQUEUR-OBSERVATIONS-BENEFICIAIRE",
    "action": "MARQUEUR-PLAN-ACTION",
    "topic": "MARQUEUR-SUJET-ENTRETIEN",
    "work": "MARQUEUR-TRAVAIL-PERSONNEL",
    "free_text": "MARQUEUR-REPONSE-LIBRE",
}


def fill_the_bilan(app: Flask, world: World) -> None:
    """Everything a bilan can hold, with a marker in each text."""
    from service.extensions import db
    from service.features.followup import service as followup
    from service.models import (
        ActionItem,
        Assignment,
        Bilan,
        CounsellorNote,
        Interview,
        PersonalWork,
        SynthesisVersion,
    )

    for aid in world.assignments.values():
        complete(app, aid)  # 600 s each
    set_values(
        app,
        Assignment,
        world.assignments["riasec-60"],
        report_comment=MARKERS["assignment_report"],
    )
    set_values(
        app,
        Bilan,
        world.bilan,
        objectives=MARKERS["objectives"],
        report_comment=MARKERS["report"],
        funding=CANARY,
        commanditaire="Entreprise Dupont",
        start_date=dt.date(2026, 3, 2),
    )
    with app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        s.add_all(
            [
                CounsellorNote(bilan_id=bilan.id, author_id=world.counsellor, text=MARKERS["note"]),
                SynthesisVersion(
                    bilan_id=bilan.id,
                    version=1,
                    circumstances=MARKERS["circumstances"],
                    competences=MARKERS["competences"],
                    project=MARKERS["project"],
                    observations=MARKERS["observations"],
                ),
                ActionItem(bilan_id=bilan.id, text=MARKERS["action"]),
                Interview(
                    bilan_id=bilan.id,
                    held_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=PARIS),
                    minutes=120,
                    mode="presentiel",
                    topic=MARKERS["topic"],
                ),
                Interview(
                    bilan_id=bilan.id,
                    held_at=dt.datetime(2026, 3, 16, 14, 0, tzinfo=PARIS),
                    minutes=90,
                    mode="distanciel",
                    topic=MARKERS["topic"],
                ),
                PersonalWork(
                    bilan_id=bilan.id,
                    done_on=dt.date(2026, 3, 10),
                    minutes=150,
                    kind="enquete",
                    description=MARKERS["work"],
                ),
            ]
        )
        result = followup.end_bilan(
            s,
            bilan,
            app.extensions["boussole.instruments"],
            when=dt.datetime(2026, 6, 1, 17, 0, tzinfo=dt.UTC),
        )
        assert result.satisfaction is not None
        satisfaction = result.satisfaction.id
    complete(app, satisfaction, {"SAT14": 4, "SAT_PLUS_UTILE": MARKERS["free_text"]})


def forbidden_texts(app: Flask) -> list[str]:
    """The markers, and the names of the questionnaires and scales of the bilan."""
    instruments = app.extensions["boussole.instruments"]
    names = []
    for iid in ("riasec-60", "valeurs-travail", "ipip-bfi-25", "satisfaction-fin-bilan"):
        inst = instruments[iid]
        names.append(inst.name.fr)
        names.extend(s.name.fr for s in inst.scales)
    return [*MARKERS.values(), *names, "RIASEC", "Holland", "percentile", "Note T"]


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_the_attestation_carries_no_content_html_and_pdf(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from pypdf import PdfReader

    fill_the_bilan(db_app, world)
    html = plain(claire.get(f"/conseil/bilans/{world.bilan}/attestation").get_data(as_text=True))
    response = claire.get(f"/conseil/bilans/{world.bilan}/attestation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attestation-assiduite" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    pdf_text = plain(" ".join(page.extract_text() for page in reader.pages))
    for text in (html, pdf_text):
        assert CANARY in text  # the extraction sees what is printed
        assert "Camille Martin" in text and "Centre test" in text
        for forbidden in forbidden_texts(db_app):
            assert forbidden not in text, forbidden
    # the administrative facts, by hand
    for text in (html, pdf_text):
        assert "2 mars 2026" in text and "16 mars 2026" in text and "1er juin 2026" in text
        assert "3 h 30" in text and "2 h 30" in text and "30 min" in text and "6 h 30" in text
        assert "Questionnaires réalisés : 3" in text
        assert "Entreprise Dupont" in text
    assert "Présentiel" in html and "À distance" in html
    assert "s’est terminé le 1er juin 2026" in html


def test_a_running_bilan_is_attested_as_running(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    html = plain(claire.get(f"/conseil/bilans/{world.bilan}/attestation").get_data(as_text=True))
    assert "bilan en cours" in html and "non renseigné" in html
    assert "Aucun entretien enregistré." in html
    assert "Questionnaires réalisés : 0" in html


def test_the_attestation_is_audit_logged(db_app: Flask, world: World, claire: FlaskClient) -> None:
    claire.get(f"/conseil/bilans/{world.bilan}/attestation")
    claire.get(f"/conseil/bilans/{world.bilan}/attestation.pdf")
    actions = audit_actions(db_app)
    assert (f"staff:{world.counsellor}", "view_attendance") in actions
    assert (f"staff:{world.counsellor}", "attendance_pdf") in actions


@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_only_the_counsellors_of_the_bilan_issue_it(
    db_app: Flask, world: World, suffix: str
) -> None:
    url = f"/conseil/bilans/{world.bilan}/attestation{suffix}"
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    assert paul.get(url).status_code == 404
    assert admin.get(url).status_code == 404
    assert person.get(url).status_code == 403
    anonymous = db_app.test_client().get(url)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    assert not any(
        action.startswith(("view_att", "attendance")) for _, action in audit_actions(db_app)
    )
