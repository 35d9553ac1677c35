"""The counsellor's workspace: caseload, bilans, assignments, profiles, notes, reports,
exports; and who may NOT see them (another counsellor, an admin, a beneficiary, a visitor).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from service.features.journey import completion
from service.features.journey import store as answer_store
from service.models import utcnow
from tests.service.conftest import World, open_invitation, sign_in_beneficiary, sign_in_staff

BFI = "ipip-bfi-25"
RIASEC = "riasec-60"
VALUES = "valeurs-travail"


# --- helpers ------------------------------------------------------------------------------


def answers_for(app: Flask, instrument_id: str, *, seed: int = 0) -> dict[str, Any]:
    """Deterministic valid answers for every numeric item (ranking blocks ranked 1..k)."""
    from service.features.journey.answers import ranking_blocks

    inst = app.extensions["boussole.instruments"][instrument_id]
    out: dict[str, Any] = {}
    for k, item in enumerate(inst.numeric_items):
        fmt = inst.formats[item.format]
        allowed = sorted(fmt.allowed_values() or [fmt.coding_range[0]])
        out[item.id] = allowed[(k * 7 + seed) % len(allowed)]
    if instrument_id == RIASEC:  # a clear profile: Social, Artistic, Investigative first
        levels = {"S": 4, "A": 3, "I": 2, "E": 1, "C": 1, "R": 0}
        out = {item.id: levels[item.id[0]] for item in inst.numeric_items}
    for items in ranking_blocks(inst).values():
        for rank, item in enumerate(items, start=1):
            out[item.id] = rank
    return out


def complete(
    app: Flask, aid: int, answers: dict[str, Any] | None = None, seconds: float = 600
) -> None:
    """Store answers and complete the questionnaire through the journey's own function
    (an anonymous questionnaire is completed without a score record)."""
    from service.extensions import db
    from service.models import Assignment

    with app.test_request_context(), db.standalone() as s:
        a = s.get(Assignment, aid)
        assert a is not None
        inst = app.extensions["boussole.instruments"][a.instrument_id]
        for item, value in (answers or answers_for(app, a.instrument_id)).items():
            answer_store.upsert_answer(s, aid, item, value)
        answer_store.add_page_seconds(s, aid, 1, seconds)
        done = completion.complete(s, a, inst, per_page=6)
        assert done.completed, done.problems
        assert (done.record is None) == inst.anonymous


def set_values(app: Flask, model: Any, pk: int, **values: Any) -> None:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        row = s.get(model, pk)
        for k, v in values.items():
            setattr(row, k, v)


def audit_actions(app: Flask) -> list[tuple[str, str]]:
    from service.extensions import db
    from service.models import AuditEvent

    with app.app_context(), db.standalone() as s:
        return [(e.actor, e.action) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def done(db_app: Flask, world: World) -> World:
    """The world with the three questionnaires of Camille's bilan completed."""
    for iid in (BFI, RIASEC, VALUES):
        complete(db_app, world.assignments[iid])
    return world


def other_clients(app: Flask, world: World) -> dict[str, FlaskClient]:
    """Everyone who must NOT see Camille's results."""
    paul = app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    admin = app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    other = app.test_client()
    sign_in_beneficiary(other, app, world.other_beneficiary)
    return {
        "paul": paul,
        "admin": admin,
        "other_beneficiary": other,
        "anonymous": app.test_client(),
    }


# --- caseload -----------------------------------------------------------------------------


def test_dashboard_lists_only_my_bilans_with_status_and_alerts(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    from service.models import Assignment, Bilan

    # an untouched questionnaire, assigned 11 days ago, raises an alert; 9 days does not
    set_values(
        db_app, Assignment, done.other_assignment, assigned_at=utcnow() - dt.timedelta(days=11)
    )
    set_values(
        db_app, Bilan, done.bilan, next_interview_at=dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)
    )
    html = claire.get("/conseil/").get_data(as_text=True)
    assert "Camille Martin" in html
    assert "Dominique Petit" not in html  # Paul's bilan
    assert "Phase préliminaire" in html
    assert "3 décembre 2026" in html and "10:30" in html  # Paris time
    assert html.count("terminé le") == 3

    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    other = paul.get("/conseil/").get_data(as_text=True)
    assert "Dominique Petit" in other and "Camille Martin" not in other
    assert "sans activité depuis plus de 10 jours" in other
    set_values(
        db_app, Assignment, done.other_assignment, assigned_at=utcnow() - dt.timedelta(days=9)
    )
    assert "sans activité" not in paul.get("/conseil/").get_data(as_text=True)


def test_validity_flags_raise_an_alert(db_app: Flask, world: World, claire: FlaskClient) -> None:
    aid = world.assignments[BFI]
    same = dict.fromkeys(answers_for(db_app, BFI), 3)  # 25 identical answers, 2 s in all
    complete(db_app, aid, same, seconds=2)
    html = claire.get("/conseil/").get_data(as_text=True)
    assert "25 questions) : 3 points de vigilance sur la validité" in html
    profile = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    assert "25 réponses identiques de suite" in profile
    assert "Temps de réponse très court" in profile


def test_staff_pages_refuse_beneficiaries_and_visitors(db_app: Flask, world: World) -> None:
    visitor = db_app.test_client()
    response = visitor.get("/conseil/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    assert person.get("/conseil/").status_code == 403
    assert person.get("/conseil/bilans/nouveau").status_code == 403
    assert person.get("/conseil/portefeuille.csv").status_code == 403


# --- creating a bilan, assigning, links, reminders ------------------------------------------


def test_create_a_bilan_gives_a_working_invitation_link(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Beneficiary, Bilan

    response = claire.post(
        "/conseil/bilans/nouveau",
        data={
            "first_name": " Noé ",
            "last_name": "Lefèvre",
            "email": "Noe.Lefevre@Exemple.fr",
            "language": "fr",
            "title": "Bilan de compétences",
            "next_interview_at": "2026-12-10T14:00",
        },
    )
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "Noé Lefèvre" in html
    link = html.split('id="invitation-link" type="text" readonly value="')[1].split('"')[0]
    assert link.startswith("http://localhost/invitation/")
    with db_app.app_context(), db.standalone() as s:
        person = s.scalars(select(Beneficiary).where(Beneficiary.last_name == "Lefèvre")).one()
        assert person.first_name == "Noé" and person.email == "noe.lefevre@exemple.fr"
        bilan = s.scalars(select(Bilan).where(Bilan.beneficiary_id == person.id)).one()
        assert [c.id for c in bilan.counsellors] == [world.counsellor]
        assert bilan.next_interview_at is not None
        assert bilan.next_interview_at.replace(tzinfo=dt.UTC).hour == 13  # 14:00 Paris = 13:00 UTC
        bilan_id = bilan.id
    newcomer = db_app.test_client()
    opened = open_invitation(newcomer, link.removeprefix("http://localhost"))
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/compte/revenir"  # first: how to come back
    assert newcomer.post("/compte/revenir", data={"way": "mail"}).status_code == 302
    assert newcomer.get(f"/espace/bilans/{bilan_id}/consentement").status_code == 200
    # the new bilan is Claire's, not Paul's
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    assert paul.get(f"/conseil/bilans/{bilan_id}").status_code == 404


def test_create_a_bilan_refuses_bad_input_and_keeps_nothing(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Beneficiary

    missing = claire.post(
        "/conseil/bilans/nouveau", data={"first_name": "", "last_name": "X", "language": "fr"}
    )
    assert missing.status_code == 422
    assert "Saisissez le prénom." in missing.get_data(as_text=True)
    taken = claire.post(
        "/conseil/bilans/nouveau",
        data={"first_name": "A", "last_name": "B", "email": "paul@test.fr", "language": "fr"},
    )
    assert taken.status_code == 422
    assert "déjà utilisée" in taken.get_data(as_text=True)
    bad_date = claire.post(
        "/conseil/bilans/nouveau",
        data={"first_name": "A", "last_name": "B", "language": "fr", "next_interview_at": "demain"},
    )
    assert bad_date.status_code == 422
    with db_app.app_context(), db.standalone() as s:
        assert s.scalars(select(Beneficiary).where(Beneficiary.last_name == "B")).first() is None


def test_admins_cannot_create_bilans(db_app: Flask, world: World) -> None:
    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    assert admin.get("/conseil/bilans/nouveau").status_code == 403


def test_assign_an_instrument_with_language_and_visibility(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Assignment

    ok = claire.post(
        f"/conseil/bilans/{world.bilan}/questionnaires",
        data={"instrument": "spi-135", "language": "en", "show_results_now": "y"},
    )
    assert ok.status_code == 302
    with db_app.app_context(), db.standalone() as s:
        a = s.scalars(select(Assignment).where(Assignment.instrument_id == "spi-135")).one()
        assert (a.bilan_id, a.language, a.show_results_now, a.instrument_version) == (
            world.bilan,
            "en",
            True,
            db_app.extensions["boussole.instruments"]["spi-135"].version,
        )
    twice = claire.post(
        f"/conseil/bilans/{world.bilan}/questionnaires",
        data={"instrument": "spi-135", "language": "fr"},
    )
    assert twice.status_code == 422 and "déjà assigné" in twice.get_data(as_text=True)
    unknown = claire.post(
        f"/conseil/bilans/{world.bilan}/questionnaires",
        data={"instrument": "nope", "language": "fr"},
    )
    assert unknown.status_code == 422
    # someone else's bilan: not found, nothing assigned
    other = claire.post(
        f"/conseil/bilans/{world.other_bilan}/questionnaires",
        data={"instrument": "spi-135", "language": "fr"},
    )
    assert other.status_code == 404


def test_new_link_is_mailed_when_an_address_is_known(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.models import Beneficiary

    sent: list[tuple[str, str, str]] = []

    class Box:
        def send(self, to: str, subject: str, body: str) -> None:
            sent.append((to, subject, body))

    db_app.extensions["boussole.mail"] = Box()
    no_email = claire.post(f"/conseil/bilans/{world.bilan}/lien", data={"send": "1"})
    assert no_email.status_code == 200 and sent == []
    assert "Aucune adresse e-mail connue" in no_email.get_data(as_text=True)
    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    response = claire.post(f"/conseil/bilans/{world.bilan}/lien", data={"send": "1"})
    assert response.status_code == 200
    (to, _subject, body) = sent[0]
    link = response.get_data(as_text=True).split('readonly value="')[1].split('"')[0]
    assert to == "camille@exemple.fr" and link in body


def test_reminder_is_mailed_and_recorded(db_app: Flask, world: World, claire: FlaskClient) -> None:
    from service.models import Beneficiary

    sent: list[tuple[str, str, str]] = []

    class Box:
        def send(self, to: str, subject: str, body: str) -> None:
            sent.append((to, subject, body))

    db_app.extensions["boussole.mail"] = Box()
    aid = world.assignments[RIASEC]
    no_email = claire.post(f"/conseil/questionnaires/{aid}/relance", follow_redirects=True)
    assert "Aucune adresse e-mail connue" in no_email.get_data(as_text=True) and sent == []
    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    done = claire.post(f"/conseil/questionnaires/{aid}/relance", follow_redirects=True)
    assert "Relance envoyée à camille@exemple.fr" in done.get_data(as_text=True)
    assert (sent[0][0] == "camille@exemple.fr" and "Intérêts" in sent[0][2]) or "RIASEC" in sent[0][
        2
    ]
    assert "Relancé le" in done.get_data(as_text=True)
    assert (
        claire.post(f"/conseil/questionnaires/{world.other_assignment}/relance").status_code == 404
    )
    complete(db_app, aid)
    late = claire.post(f"/conseil/questionnaires/{aid}/relance", follow_redirects=True)
    assert "déjà terminé" in late.get_data(as_text=True) and len(sent) == 1


def test_reopen_removes_the_scores_and_lets_the_person_answer_again(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Assignment, ScoreRecord

    aid = done.assignments[BFI]
    response = claire.post(f"/conseil/questionnaires/{aid}/reouverture")
    assert response.status_code == 302
    with db_app.app_context(), db.standalone() as s:
        a = s.get(Assignment, aid)
        assert a is not None and a.status == "in_progress" and a.reopened_at is not None
        assert (
            s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).first() is None
        )
    assert claire.get(f"/conseil/questionnaires/{aid}/profil").status_code == 404
    again = claire.post(f"/conseil/questionnaires/{aid}/reouverture")
    assert again.status_code == 409
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, done.beneficiary)
    from service.features.journey.consent import CONSENT_VERSION

    person.post(
        f"/espace/bilans/{done.bilan}/consentement",
        data={"text_version": CONSENT_VERSION, "accept": "1"},
    )
    saved = person.post(f"/espace/questionnaires/{aid}/reponses", json={"item": "A1", "value": 2})
    assert saved.status_code == 200 and saved.get_json()["saved"] is True


def test_results_visibility_is_the_counsellors_choice(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    aid = done.assignments[BFI]
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, done.beneficiary)
    assert person.get(f"/espace/questionnaires/{aid}/resultats").status_code == 403
    assert (
        claire.post(f"/conseil/questionnaires/{aid}/diffusion", data={"show": "1"}).status_code
        == 302
    )
    shown = person.get(f"/espace/questionnaires/{aid}/resultats")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)  # the person sees the chart and its data table
    assert page.count('<img src="data:image/svg+xml;base64,') == 1
    # ... on the one metric the person reads (percentile ranks), never a T score.
    assert "Données du graphique (tableau)" in page and "Rang percentile" in page
    assert "Note T" not in page
    assert (
        claire.post(f"/conseil/questionnaires/{aid}/diffusion", data={"show": "0"}).status_code
        == 302
    )
    assert person.get(f"/espace/questionnaires/{aid}/resultats").status_code == 403
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    assert (
        paul.post(f"/conseil/questionnaires/{aid}/diffusion", data={"show": "1"}).status_code == 404
    )
    assert person.get(f"/espace/questionnaires/{aid}/resultats").status_code == 403


# --- profile review, comparison, notes ------------------------------------------------------


def test_profile_review_shows_summary_bands_levels_norms_and_charts(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    aid = done.assignments[BFI]
    html = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    assert "En bref" in html
    assert "Note T (intervalle à 90 %)" in html and " ; " not in html.split("<table")[1]
    assert "Groupe de référence" in html and "2026.11-bfi-adults" in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 1  # domains chart
    assert "Données du graphique (tableau)" in html
    for name in ("Agréabilité", "Conscience", "Extraversion", "Névrosisme", "Ouverture"):
        assert name in html
    assert "Plutôt" in html or "Dans la moyenne" in html  # level labels from the instrument
    assert "Afficher les réponses données" in html and 'id="reponses"' not in html
    answers = claire.get(f"/conseil/questionnaires/{aid}/profil?reponses=1").get_data(as_text=True)
    assert 'id="reponses"' in answers and answers.count("<tr><td>") == 25
    riasec = claire.get(f"/conseil/questionnaires/{done.assignments[RIASEC]}/profil").get_data(
        as_text=True
    )
    assert riasec.count('<img src="data:image/svg+xml;base64,') == 2  # hexagon and bars
    values = claire.get(f"/conseil/questionnaires/{done.assignments[VALUES]}/profil").get_data(
        as_text=True
    )
    # One ranked list of the values, without jargon nor a chart of signed scores.
    assert "ipsati" not in values.lower() and values.count("data:image/svg+xml") == 0
    assert "Importance moyenne des affirmations" in values
    actions = [a for _actor, a in audit_actions(db_app)]
    assert actions.count("view_profile") == 3 and actions.count("view_answers") == 1


def test_facets_on_demand_for_the_spi(db_app: Flask, world: World, claire: FlaskClient) -> None:
    from service.extensions import db
    from service.models import Assignment

    with db_app.app_context(), db.standalone() as s:
        a = Assignment(
            bilan_id=world.bilan,
            instrument_id="spi-135",
            instrument_version=db_app.extensions["boussole.instruments"]["spi-135"].version,
        )
        s.add(a)
        s.flush()
        aid = a.id
    complete(db_app, aid)
    plain = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    with_facets = claire.get(f"/conseil/questionnaires/{aid}/profil?facettes=1").get_data(
        as_text=True
    )
    assert plain.count("data:image/svg+xml") == 1 and with_facets.count("data:image/svg+xml") == 2
    assert with_facets.count('class="facet"') == 26 and plain.count('class="facet"') == 0


@pytest.mark.parametrize("who", ["paul", "admin", "other_beneficiary", "anonymous"])
def test_nobody_else_sees_a_profile_the_answers_or_the_comparison(
    db_app: Flask, done: World, who: str
) -> None:
    client = other_clients(db_app, done)[who]
    aid = done.assignments[BFI]
    for url in (
        f"/conseil/questionnaires/{aid}/profil",
        f"/conseil/questionnaires/{aid}/profil?reponses=1",
        f"/conseil/bilans/{done.bilan}",
        f"/conseil/bilans/{done.bilan}/comparaison",
        f"/conseil/bilans/{done.bilan}/rapport",
        f"/conseil/bilans/{done.bilan}/rapport.pdf",
        f"/conseil/bilans/{done.bilan}/scores.csv",
        f"/conseil/bilans/{done.bilan}/scores.xlsx",
        f"/conseil/bilans/{done.bilan}/scores.json",
    ):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/connexion" in response.headers["Location"], url
        elif who == "other_beneficiary":
            assert response.status_code == 403, url
        else:
            assert response.status_code == 404, url
        assert b"Camille" not in response.data, url
    assert audit_actions(db_app) == []


def test_profile_of_an_unfinished_questionnaire_is_not_found(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    assert claire.get(f"/conseil/questionnaires/{world.assignments[BFI]}/profil").status_code == 404
    assert claire.get("/conseil/questionnaires/99999/profil").status_code == 404


def test_comparison_puts_the_instruments_side_by_side(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    html = claire.get(f"/conseil/bilans/{done.bilan}/comparaison").get_data(as_text=True)
    assert html.count('class="compare-col"') == 3
    assert "Code d’intérêts\u00a0: SAI" in html and "Valeurs prioritaires" in html
    assert (f"staff:{done.counsellor}", "view_comparison") in audit_actions(db_app)


def test_notes_are_private_to_the_counsellors_of_the_bilan(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    aid = done.assignments[BFI]
    assert (
        claire.post(
            f"/conseil/bilans/{done.bilan}/notes", data={"text": "Note du bilan <b>"}
        ).status_code
        == 302
    )
    on_q = claire.post(
        f"/conseil/bilans/{done.bilan}/notes",
        data={"text": "Note sur la personnalité", "assignment_id": aid},
    )
    assert on_q.status_code == 302
    bilan_page = claire.get(f"/conseil/bilans/{done.bilan}").get_data(as_text=True)
    assert "Note du bilan &lt;b&gt;" in bilan_page and "Note sur la personnalité" not in bilan_page
    profile = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    assert "Note sur la personnalité" in profile
    empty = claire.post(f"/conseil/bilans/{done.bilan}/notes", data={"text": "   "})
    assert empty.status_code == 422 and "La note est vide." in empty.get_data(as_text=True)
    # a note on a questionnaire of another bilan is refused
    wrong = claire.post(
        f"/conseil/bilans/{done.bilan}/notes",
        data={"text": "x", "assignment_id": done.other_assignment},
    )
    assert wrong.status_code == 404
    # nobody else reads or writes them; the beneficiary's pages never show them
    others = other_clients(db_app, done)
    for who, client in others.items():
        r = client.post(f"/conseil/bilans/{done.bilan}/notes", data={"text": "intrus"})
        assert r.status_code in (302, 403, 404), who
        if who == "anonymous":
            assert "/connexion" in r.headers["Location"]
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, done.beneficiary)
    for url in ("/espace/", f"/espace/questionnaires/{aid}/resultats"):
        assert b"Note sur la personnalit" not in person.get(url).data
    assert "intrus" not in claire.get(f"/conseil/bilans/{done.bilan}").get_data(as_text=True)


# --- report -------------------------------------------------------------------------------


def test_report_html_has_cover_sections_charts_comments_and_closing(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    from service.models import Assignment

    set_values(db_app, Assignment, done.assignments[RIASEC], report_comment="Un profil à explorer.")
    claire.post(
        f"/conseil/bilans/{done.bilan}/commentaire", data={"comment": "Merci pour ce travail !"}
    )
    html = claire.get(f"/conseil/bilans/{done.bilan}/rapport").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Rapport de restitution" in html and "Camille Martin" in html and "claire" in html
    assert html.count('class="questionnaire"') == 3
    assert html.count("data:image/svg+xml;base64,") == 3  # domains, hexagon, bars
    assert "Ce que mesure ce questionnaire" in html and "Limites de la mesure" in html
    assert "Un profil à explorer." in html
    assert (
        "Merci pour ce travail\u202f!" in html
    )  # French typography in the comment? no: kept as typed
    assert "pas un verdict" in html
    assert "Comment lire ce rapport\u00a0" not in html  # headings have no colon
    assert "Date\u00a0:" in html  # non-breaking space before the colon
    assert (f"staff:{done.counsellor}", "view_report") in audit_actions(db_app)


def test_report_pdf_is_a4_with_the_texts(db_app: Flask, done: World, claire: FlaskClient) -> None:
    from pypdf import PdfReader

    response = claire.get(f"/conseil/bilans/{done.bilan}/rapport.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 5  # cover, intro, three questionnaires, closing
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Rapport de restitution" in text and "Camille Martin" in text
    assert "Intérêts professionnels" in text or "RIASEC" in text
    assert "Page 2 sur" in text
    assert (f"staff:{done.counsellor}", "report_pdf") in audit_actions(db_app)


def test_beneficiary_sees_the_report_only_once_released(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, done.beneficiary)
    url = f"/espace/bilans/{done.bilan}/rapport"
    assert person.get(url).status_code == 403
    assert person.get(url + ".pdf").status_code == 403
    assert "Mon rapport de restitution" not in person.get("/espace/").get_data(as_text=True)
    assert (
        claire.post(
            f"/conseil/bilans/{done.bilan}/rapport/diffusion", data={"show": "1"}
        ).status_code
        == 302
    )
    home = person.get("/espace/").get_data(as_text=True)
    assert "Mon rapport de restitution" in home
    page = person.get(url)
    assert page.status_code == 200 and "Camille Martin" in page.get_data(as_text=True)
    pdf = person.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert (f"beneficiary:{done.beneficiary}", "report_pdf") in audit_actions(db_app)
    # another beneficiary never sees it, even released
    other = other_clients(db_app, done)["other_beneficiary"]
    assert other.get(url).status_code == 404 and other.get(url + ".pdf").status_code == 404
    claire.post(f"/conseil/bilans/{done.bilan}/rapport/diffusion", data={"show": "0"})
    assert person.get(url).status_code == 403


# --- exports ------------------------------------------------------------------------------


def test_exports_of_one_beneficiary(db_app: Flask, done: World, claire: FlaskClient) -> None:
    csv_response = claire.get(f"/conseil/bilans/{done.bilan}/scores.csv")
    assert (
        csv_response.status_code == 200
        and "attachment" in csv_response.headers["Content-Disposition"]
    )
    text = csv_response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) > 1 + 5 + 6  # header, five domains, six RIASEC scales at least
    assert any("Ouverture" in r for r in rows)
    book = load_workbook(io.BytesIO(claire.get(f"/conseil/bilans/{done.bilan}/scores.xlsx").data))
    assert book.active is not None and book.active.max_row == len(rows)
    data = json.loads(claire.get(f"/conseil/bilans/{done.bilan}/scores.json").data)
    assert len(data["questionnaires"]) == 3
    assert claire.get(f"/conseil/bilans/{done.bilan}/scores.pdf").status_code == 404
    actions = [a for _actor, a in audit_actions(db_app)]
    assert {"export_csv", "export_xlsx", "export_json"} <= set(actions)


def test_caseload_export_holds_only_my_beneficiaries(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    complete(db_app, done.other_assignment)  # Paul's beneficiary
    text = claire.get("/conseil/portefeuille.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1 + 3  # one row per beneficiary x instrument
    assert "Dominique" not in text and text.count("Camille Martin") == 3
    book = load_workbook(io.BytesIO(claire.get("/conseil/portefeuille.xlsx").data))
    assert book.sheetnames == ["Portefeuille", "Légende"]
    assert book["Portefeuille"].max_row == 4
    assert claire.get("/conseil/portefeuille.json").status_code == 404
    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    assert admin.get("/conseil/portefeuille.csv").status_code == 403
