"""Wording seen on the pages: one date format ("1er mars 2026"), short form errors, the
built-in French defaults (bilan title, the centre's plan) translated in English, the
language of a questionnaire said when it differs from the page's, and no jargon ("items",
"ipsatif") on the beneficiary's pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_wording import ROOT, _TextNodes, templates

CONSENT = {"accept": "1"}


def visible_text(html: str) -> str:
    """The text nodes of a page (no tags, attributes, scripts), spaces normalised."""
    parser = _TextNodes()
    parser.feed(html)
    return " ".join(" ".join(text for _line, text in parser.nodes).split())


def english(client: FlaskClient) -> FlaskClient:
    client.post("/langue", data={"lang": "en"})
    return client


def staff_client(app: Flask, email: str = "claire@test.fr") -> FlaskClient:
    client = app.test_client()
    sign_in_staff(client, email)
    return client


def person_client(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    sign_in_beneficiary(client, app, world.beneficiary)
    return client


def update(app: Flask, model: type, row_id: int, **values: object) -> None:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        row = s.get(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "lang", "shown"),
    [
        (dt.date(2026, 3, 1), "fr", "1er mars 2026"),
        (dt.date(2026, 3, 2), "fr", "2 mars 2026"),
        (dt.date(2026, 12, 31), "fr", "31 décembre 2026"),
        (dt.date(2026, 3, 1), "en", "1 March 2026"),
        (dt.date(2026, 3, 21), "en", "21 March 2026"),
        (dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC), "fr", "1er mars 2026"),  # Paris
    ],
)
def test_format_day(day: dt.date, lang: str, shown: str) -> None:
    from service.dates import format_day

    assert format_day(day, lang) == shown


def test_the_date_filter_follows_the_page_language(app: Flask) -> None:
    with app.test_request_context():
        assert render_template_string("{{ d|date }}", d=dt.date(2026, 3, 1)) == "1er mars 2026"
        assert render_template_string("{{ d|date }}", d=None) == ""
    with app.test_request_context(headers={"Cookie": ""}):
        from flask import session

        session["lang"] = "en"
        assert render_template_string("{{ d|date }}", d=dt.date(2026, 3, 1)) == "1 March 2026"


def test_no_date_is_formatted_by_hand() -> None:
    """Dates go through ``|date`` (templates) or ``format_day`` (code): no Babel format
    chosen per page ("short" here, "long" there), no strftime for a reader."""
    by_hand = re.compile(r"\|\s*dateformat\b|\|\s*datetimeformat\b|strftime\(")
    found = [str(p.relative_to(ROOT)) for p in templates() if by_hand.search(p.read_text())]
    for path in (ROOT / "service").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "sender.py" and re.search(r"strftime\(\"%d|format_date\(", text):
            found.append(str(path.relative_to(ROOT)))
    assert [f for f in found if not f.endswith("service/dates.py")] == []


def test_the_home_page_writes_the_first_of_the_month_1er(db_app: Flask, world: World) -> None:
    from sqlalchemy import update as sql_update

    from service.extensions import db
    from service.features.journey.consent import CONSENT_VERSION
    from service.models import Consent

    camille = person_client(db_app, world)
    camille.post(
        f"/espace/bilans/{world.bilan}/consentement",
        data={"text_version": CONSENT_VERSION, **CONSENT},
    )
    with db_app.app_context(), db.standalone() as s:  # 00:30 on 1 March in Paris
        moment = dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC)
        s.execute(sql_update(Consent).values(recorded_at=moment))
    page = visible_text(camille.get("/espace/").get_data(as_text=True))
    assert "Vous avez donné votre accord le 1er mars 2026 à 00:30." in page
    page = visible_text(english(camille).get("/espace/").get_data(as_text=True))
    assert "1 March 2026" in page and "1er" not in page


# --- form errors --------------------------------------------------------------------------


def test_an_empty_login_says_what_is_missing(db_app: Flask) -> None:
    client = db_app.test_client()
    response = client.post("/connexion", data={"email": "", "password": ""})
    page = visible_text(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Le formulaire n’a pas pu être enregistré" not in page
    assert "Connexion impossible" in page
    assert "Adresse e-mail : Saisissez votre adresse e-mail." in page
    assert "Mot de passe : Saisissez votre mot de passe." in page
    response = english(client).post("/connexion", data={"email": "a@b.fr", "password": ""})
    page = visible_text(response.get_data(as_text=True))
    assert "Could not sign in" in page and "Password: " in page
    # a wrong password is said as such, without the list
    response = client.post("/connexion", data={"email": "x@test.fr", "password": "pas-le-bon"})
    page = visible_text(response.get_data(as_text=True))
    assert response.status_code == 401 and "Could not sign in" not in page
    assert "Incorrect email address or password." in page


def test_the_approval_error_is_short(db_app: Flask, world: World) -> None:
    """The error summary repeated the checkbox's whole sentence before the error."""
    claire = staff_client(db_app)
    claire.post(f"/conseil/bilans/{world.bilan}/synthese", data={"circumstances": "Reprise."})
    claire.post(f"/conseil/bilans/{world.bilan}/synthese/partage")
    camille = person_client(db_app, world)
    response = camille.post(
        f"/espace/bilans/{world.bilan}/synthese/approbation", data={"version": "1"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = html[
        html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))
    ]
    assert "Le document n’est pas encore approuvé" in summary
    assert "Le formulaire n’a pas pu être enregistré" not in summary
    assert "Cochez la case pour confirmer votre approbation." in summary
    assert "J’ai lu ce document" not in summary
    assert 'aria-describedby="confirm-erreur"' in html  # the error is tied to the checkbox


# --- built-in defaults in English -----------------------------------------------------------


def test_the_default_bilan_title_is_translated_and_a_custom_one_is_not(
    db_app: Flask, world: World
) -> None:
    from service.models import Bilan

    camille = english(person_client(db_app, world))
    page = visible_text(camille.get("/espace/").get_data(as_text=True))
    assert "Skills assessment" in page and "Bilan de compétences" not in page
    claire = english(staff_client(db_app))
    record = visible_text(claire.get(f"/conseil/bilans/{world.bilan}/dossier").get_data(True))
    assert "Skills assessment" in record and "Bilan de compétences" not in record
    update(db_app, Bilan, world.bilan, title="Bilan Camille 2026")
    page = visible_text(camille.get("/espace/").get_data(as_text=True))
    assert "Bilan Camille 2026" in page


def test_the_centre_template_steps_are_translated_in_english(db_app: Flask, world: World) -> None:
    claire = staff_client(db_app, "admin@test.fr")
    french = visible_text(claire.get("/conseil/centre/modele").get_data(as_text=True))
    assert "Capital personnel — parcours" in french
    page = visible_text(english(claire).get("/conseil/centre/modele").get_data(as_text=True))
    assert "Personal assets — life path" in page
    assert "Follow-up interview (3 to 6 months after the end)" in page
    assert "Capital personnel" not in page and "Entretien de suivi" not in page


def test_a_questionnaire_in_another_language_says_so(db_app: Flask, world: World) -> None:
    from service.models import Assignment

    update(db_app, Assignment, world.assignments["riasec-60"], language="en")
    camille = person_client(db_app, world)
    page = visible_text(camille.get("/espace/").get_data(as_text=True))
    assert "Intérêts professionnels (RIASEC, 60 activités) (en anglais)" in page
    assert "Valeurs au travail (en français)" not in page  # same language: nothing said
    page = visible_text(english(camille).get("/espace/").get_data(as_text=True))
    assert "Work values (in French)" in page
    assert "Career interests (RIASEC, 60 activities) (in" not in page


# --- no jargon for the beneficiary ----------------------------------------------------------

JARGON = re.compile(r"\bitems?\b|ipsati", re.IGNORECASE)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_items_or_ipsative_on_the_beneficiarys_pages(
    db_app: Flask, world: World, lang: str
) -> None:
    from service.extensions import db
    from service.models import Assignment

    instruments = db_app.extensions["boussole.instruments"]
    with db_app.app_context(), db.standalone() as s:
        spi = Assignment(
            bilan_id=world.bilan,
            instrument_id="spi-135",
            instrument_version=instruments["spi-135"].version,
        )
        s.add(spi)
        s.flush()
        ids = [*world.assignments.values(), spi.id]
    camille = person_client(db_app, world)
    if lang == "en":
        english(camille)
    from service.features.journey.consent import CONSENT_VERSION

    camille.post(
        f"/espace/bilans/{world.bilan}/consentement",
        data={"text_version": CONSENT_VERSION, **CONSENT},
    )
    urls = ["/espace/", f"/espace/bilans/{world.bilan}/consentement"]
    urls += [f"/espace/questionnaires/{a}" for a in ids]
    urls += [f"/espace/questionnaires/{a}/page/1" for a in ids]
    for url in urls:
        response = camille.get(url)
        assert response.status_code == 200, url
        page = visible_text(response.get_data(as_text=True))
        assert JARGON.findall(page) == [], (url, JARGON.findall(page))


def test_public_pages_are_translated(db_app: Flask) -> None:
    client = english(db_app.test_client())
    page = visible_text(client.get("/").get_data(as_text=True))
    assert "Available questionnaires" in page and "Questionnaires disponibles" not in page
    assert "Big Five personality inventory (IPIP, 25 questions)" in page
    page = visible_text(client.get("/questionnaires/ipip-bfi-25").get_data(as_text=True))
    assert "Scales" in page and "Agreeableness (5 questions)" in page


def test_the_synthesis_document_translates_the_default_title(db_app: Flask, world: World) -> None:
    import json

    claire = staff_client(db_app)
    claire.post(f"/conseil/bilans/{world.bilan}/synthese", data={"circumstances": "Reprise."})
    french = json.loads(claire.get(f"/conseil/bilans/{world.bilan}/synthese.json").data)
    document = json.loads(english(claire).get(f"/conseil/bilans/{world.bilan}/synthese.json").data)
    assert "Bilan de compétences" in json.dumps(french, ensure_ascii=False)
    assert "Skills assessment" in json.dumps(document) and "Bilan de comp" not in json.dumps(
        document, ensure_ascii=False
    )
