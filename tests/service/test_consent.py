"""Consent before anything: the page, the decisions recorded, refusal and its reversal."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.features.journey.consent import CONSENT_VERSION
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff


def consent_url(bilan_id: int) -> str:
    return f"/espace/bilans/{bilan_id}/consentement"


def decide(client: FlaskClient, bilan_id: int, *, accept: bool, keep: bool = False) -> str:
    data = {"text_version": CONSENT_VERSION, ("accept" if accept else "refuse"): "1"}
    if keep:
        data["keep_for_followup"] = "y"
    response = client.post(consent_url(bilan_id), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return response.headers["Location"]


def consents(app: Flask, beneficiary_id: int) -> list[tuple[bool, bool, str, dt.datetime]]:
    from service.extensions import db
    from service.models import Consent

    with app.app_context(), db.standalone() as s:
        rows = s.scalars(
            select(Consent).where(Consent.beneficiary_id == beneficiary_id).order_by(Consent.id)
        ).all()
        return [(c.accepted, c.keep_for_followup, c.text_version, c.recorded_at) for c in rows]


def answer_count(app: Flask) -> int:
    from service.extensions import db
    from service.models import Answer

    with app.app_context(), db.standalone() as s:
        return int(s.scalar(select(func.count()).select_from(Answer)) or 0)


def signed_in(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    sign_in_beneficiary(client, app, world.beneficiary)
    return client


def test_consent_page_explains_what_why_who_how_long_and_rights(
    db_app: Flask, world: World
) -> None:
    client = signed_in(db_app, world)
    response = client.get(consent_url(world.bilan))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in (
        "Ce qui est recueilli",
        "Pourquoi",
        "Qui voit vos réponses et vos résultats",
        "Combien de temps",
        "Vos droits",
        "Si vous refusez",
    ):
        assert f"<h2>{heading}</h2>" in html, heading
    assert "le temps passé sur chaque page" in html
    assert "claire" in html  # the counsellor of this bilan, by name
    assert "ni votre employeur, ni l’organisme qui finance votre bilan" in html
    assert "détruits à la fin du bilan" in html and "jamais plus d’un an" in html
    assert "3, 6 ou 12 mois" in html
    for right in ("accéder", "rectifier", "effacer", "retirer votre accord", "CNIL"):
        assert right in html, right
    assert f"Version du texte : {CONSENT_VERSION}." in html
    assert f'name="text_version" type="hidden" value="{CONSENT_VERSION}"' in html
    assert '<input id="keep_for_followup" name="keep_for_followup" type="checkbox"' in html
    assert '<label for="keep_for_followup">' in html
    assert 'name="accept"' in html and 'name="refuse"' in html


def test_acceptance_is_recorded_with_version_time_and_followup_choice(
    db_app: Flask, world: World
) -> None:
    client = signed_in(db_app, world)
    before = dt.datetime.now(dt.UTC)
    assert decide(client, world.bilan, accept=True, keep=True) == "/espace/"
    ((accepted, keep, version, at),) = consents(db_app, world.beneficiary)
    assert (accepted, keep, version) == (True, True, CONSENT_VERSION)
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    assert before - dt.timedelta(seconds=5) <= at <= dt.datetime.now(dt.UTC)
    home = client.get("/espace/").get_data(as_text=True)
    assert "Vous avez donné votre accord le" in home
    assert "conservées pour l’entretien de suivi" in home
    assert "Indisponible tant que" not in home
    assert f'href="/espace/questionnaires/{world.assignments["riasec-60"]}"' in home


def test_refusal_is_recorded_blocks_questionnaires_only_and_can_be_reversed(
    db_app: Flask, world: World
) -> None:
    client = signed_in(db_app, world)
    aid = world.assignments["ipip-bfi-25"]
    decide(client, world.bilan, accept=False, keep=True)
    assert [(a, k) for a, k, _, _ in consents(db_app, world.beneficiary)] == [(False, False)]
    home = client.get("/espace/")
    assert home.status_code == 200  # refusing blocks nothing else
    html = home.get_data(as_text=True)
    assert "Vous avez refusé le" in html
    assert html.count("Indisponible tant que vous n’avez pas donné votre accord.") == 3
    assert "Changer d’avis" in html and consent_url(world.bilan) in html
    assert f'href="/espace/questionnaires/{aid}"' not in html

    for path in (f"/espace/questionnaires/{aid}", f"/espace/questionnaires/{aid}/page/1"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == consent_url(
            world.bilan
        )
    refused = client.post(f"/espace/questionnaires/{aid}/reponses", json={"item": "A1", "value": 3})
    assert refused.status_code == 403
    assert "accord" in refused.get_json()["error"]
    posted = client.post(f"/espace/questionnaires/{aid}/page/1", data={"q-A1": "3"})
    assert posted.status_code == 302 and posted.headers["Location"] == consent_url(world.bilan)
    assert answer_count(db_app) == 0

    # Changing one's mind: accept, answer, then withdraw again.
    decide(client, world.bilan, accept=True)
    assert client.get(f"/espace/questionnaires/{aid}/page/1").status_code == 200
    ok = client.post(f"/espace/questionnaires/{aid}/reponses", json={"item": "A1", "value": 3})
    assert ok.status_code == 200 and ok.get_json()["saved"] is True
    decide(client, world.bilan, accept=False)
    again = client.post(f"/espace/questionnaires/{aid}/reponses", json={"item": "A2", "value": 3})
    assert again.status_code == 403
    assert [a for a, _, _, _ in consents(db_app, world.beneficiary)] == [False, True, False]
    assert answer_count(db_app) == 1


def test_nothing_is_administered_before_any_decision(db_app: Flask, world: World) -> None:
    client = signed_in(db_app, world)
    aid = world.assignments["riasec-60"]
    start = client.get(f"/espace/questionnaires/{aid}")
    assert start.status_code == 302
    assert start.headers["Location"] == consent_url(world.bilan)
    follow = client.get(start.headers["Location"]).get_data(as_text=True)
    assert "donnez votre accord" in follow  # the flashed explanation
    assert client.get(f"/espace/questionnaires/{aid}/page/2").status_code == 302
    response = client.post(
        f"/espace/questionnaires/{aid}/reponses", json={"item": "R01", "value": 2}
    )
    assert response.status_code == 403
    finish = client.post(f"/espace/questionnaires/{aid}/terminer")
    assert finish.status_code == 302 and finish.headers["Location"] == consent_url(world.bilan)
    assert answer_count(db_app) == 0
    assert "Lire les informations et décider" in client.get("/espace/").get_data(as_text=True)


def test_a_decision_on_an_outdated_text_is_not_recorded(db_app: Flask, world: World) -> None:
    client = signed_in(db_app, world)
    response = client.post(
        consent_url(world.bilan), data={"text_version": "2020-01-v0", "accept": "1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == consent_url(world.bilan)
    assert consents(db_app, world.beneficiary) == []


def test_someone_elses_bilan_consent_is_404(db_app: Flask, world: World) -> None:
    client = signed_in(db_app, world)
    assert client.get(consent_url(world.other_bilan)).status_code == 404
    response = client.post(
        consent_url(world.other_bilan), data={"text_version": CONSENT_VERSION, "accept": "1"}
    )
    assert response.status_code == 404
    assert consents(db_app, world.other_beneficiary) == []
    assert consents(db_app, world.beneficiary) == []
    assert client.get(consent_url(9999)).status_code == 404


def test_staff_and_anonymous_visitors_cannot_consent(db_app: Flask, world: World) -> None:
    anonymous = db_app.test_client()
    response = anonymous.get(consent_url(world.bilan))
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    staff = db_app.test_client()
    sign_in_staff(staff, "claire@test.fr")
    assert staff.get(consent_url(world.bilan)).status_code == 403
    posted = staff.post(
        consent_url(world.bilan), data={"text_version": CONSENT_VERSION, "accept": "1"}
    )
    assert posted.status_code == 403
    assert consents(db_app, world.beneficiary) == []


def test_consent_without_csrf_token_is_refused(csrf_app: Flask, world: World) -> None:
    client = csrf_app.test_client()
    sign_in_beneficiary(client, csrf_app, world.beneficiary)
    response = client.post(
        consent_url(world.bilan), data={"text_version": CONSENT_VERSION, "accept": "1"}
    )
    assert response.status_code == 400
    assert consents(csrf_app, world.beneficiary) == []
