"""The competence portfolio and the gap analysis (issue 13): the gap computed on a small
fiche written by hand (golden values counted by hand in the docstring), the pages of both
audiences, bad input (a French message naming the field, a 4xx, nothing written), who may
reach every new route, the one-click action, and what a newer ROME release changed."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.service.conftest import World, helpers

BASE = "/espace/bilans/{}/portefeuille"
STAFF = "/conseil/bilans/{}/portefeuille"


def _fiche(app: Flask) -> None:
    """A fiche Z9901 written by hand.

    Block 5, rubric 1 (savoir-faire): the macro 900 "Macro A" with its competences 901
    "Pétrir la pâte" and 902 "Cuire", and 903 "Vendre" (of macro 910 "Macro B", which the
    fiche does not link). Rubric 2 (savoir-être): the macros 950 "Travailler en équipe"
    and 951 "Faire preuve de rigueur", linked alone. A link of block 2 (999) is not a
    competence. Required items: 901, 902, 903 (900 only heads its group), 950, 951: 5.
    """
    from service.extensions import db
    from service.features.portfolio.service import clear_requirements_cache
    from service.models import (
        RomeCompetence,
        RomeDomaine,
        RomeFiche,
        RomeFicheLink,
        RomeGrandDomaine,
    )

    clear_requirements_cache()  # the PostgreSQL test database is one URL for every test
    sf, se = "Savoir-faire", "Savoir-être professionnel"
    with app.app_context(), db.standalone() as s:
        s.add(RomeGrandDomaine(code="Z", label="Essais"))
        s.flush()
        s.add(RomeDomaine(code="Z99", label="Essais", grand_domaine_code="Z"))
        s.flush()
        s.add(RomeFiche(code_rome="Z9901", code_ogr=1, label="Métier d’essai", domaine_code="Z99"))
        for code, label, cat, macro, is_macro in (
            (900, "Macro A", sf, None, True),
            (910, "Macro B", sf, None, True),
            (901, "Pétrir la pâte", sf, 900, False),
            (902, "Cuire", sf, 900, False),
            (903, "Vendre", sf, 910, False),
            (950, "Travailler en équipe", se, None, True),
            (951, "Faire preuve de rigueur", se, None, True),
        ):
            s.add(
                RomeCompetence(
                    code_ogr=code,
                    label=label,
                    category=cat,
                    macro_code_ogr=macro,
                    is_macro=is_macro,
                )
            )
        s.flush()
        for code, bloc, rubrique in (
            (900, 5, "1"),
            (901, 5, "1"),
            (902, 5, "1"),
            (903, 5, "1"),
            (950, 5, "2"),
            (951, 5, "2"),
            (999, 2, ""),
        ):
            s.add(RomeFicheLink(code_rome="Z9901", code_ogr=code, bloc=bloc, rubrique=rubrique))


def _portfolio(app: Flask, world: World) -> int:
    """901 at 4 (held), 902 at 2 (to develop), 950 at 3 (held), a free text; the target."""
    from service.extensions import db
    from service.models import GapTarget, PortfolioEntry

    with app.app_context(), db.standalone() as s:
        rows = ((901, "Pétrir la pâte", 4), (902, "Cuire", 2), (950, "Travailler en équipe", 3))
        for code, label, rating in (*rows, (None, "Pétrir", 1)):
            s.add(
                PortfolioEntry(
                    bilan_id=world.bilan, code_ogr=code, label=label, rating=rating, source="emploi"
                )
            )
        target = GapTarget(bilan_id=world.bilan, code_rome="Z9901", label="Métier d’essai")
        s.add(target)
        s.flush()
        return target.id


def test_gap_analysis_golden_on_a_hand_made_fiche(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.features.portfolio import service
    from service.models import GapTarget

    _fiche(db_app)
    target_id = _portfolio(db_app, world)
    with db_app.test_request_context(), db.standalone() as s:
        target = s.get(GapTarget, target_id)
        assert target is not None
        a = service.gap_analysis(s, target)
        assert (a.required, a.held, a.share) == (5, 2, pytest.approx(0.4))
        sf, se = a.sections
        assert (sf.kind, se.kind) == ("savoir_faire", "savoir_etre")
        groups = [
            (g.macro_label, [(i.label, i.status, i.rating) for i in g.items]) for g in sf.groups
        ]
        assert groups == [
            ("Macro A", [("Cuire", "develop", 2), ("Pétrir la pâte", "held", 4)]),
            ("Macro B", [("Vendre", "missing", None)]),
        ]
        assert sorted((i.label, i.status) for i in se.items) == [
            ("Faire preuve de rigueur", "missing"),
            ("Travailler en équipe", "held"),
        ]
        assert (sf.count("held"), sf.count("develop"), sf.count("missing")) == (1, 1, 1)
        assert a.changes == ()


def test_a_newer_release_renamed_or_removed_things_the_page_says_so(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import RomeCompetence, RomeFiche

    _fiche(db_app)
    _portfolio(db_app, world)
    with db_app.app_context(), db.standalone() as s:
        fiche = s.get(RomeFiche, "Z9901")
        assert fiche is not None
        fiche.previous_label, fiche.label, fiche.changed_in = fiche.label, "Métier renommé", 61
        fiche.removed_in = 62
        cuire = s.get(RomeCompetence, 902)
        assert cuire is not None
        cuire.previous_label, cuire.label, cuire.changed_in = "Cuire", "Cuire le pain", 61
    from service.features.portfolio.service import clear_requirements_cache

    clear_requirements_cache()  # rows edited by hand, not by an import (the cache's key)
    page = claire.get(STAFF.format(world.bilan) + "/ecarts")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Cette fiche n’existe plus depuis la version 62 du ROME" in text
    assert "« Métier d’essai » est devenue « Métier renommé »" in text
    assert "intitulé avant la version 61 : Cuire" in text
    assert "Part couverte : 40" in text


def _count(app: Flask, model: object) -> int:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def test_the_person_builds_the_portfolio_and_bad_input_is_refused(
    db_app: Flask, world: World, camille: FlaskClient, claire: FlaskClient
) -> None:
    from service.models import PortfolioChange, PortfolioEntry, Realisation

    url = BASE.format(world.bilan)
    assert camille.get(url).status_code == 200
    for data, expected in (
        ({"label": "", "rating": "3", "source": "emploi"}, "« Compétence » est obligatoire."),
        ({"label": "x" * 301, "rating": "3", "source": "emploi"}, "dépasse 300 caractères"),
        ({"label": "Accueil", "rating": "5", "source": "emploi"}, "« Niveau » : choisissez"),
        ({"label": "Accueil", "rating": "0", "source": "emploi"}, "« Niveau » : choisissez"),
        ({"label": "Accueil", "rating": "3", "source": "travail"}, "« Source » : choisissez"),
        ({"code_ogr": "abc", "rating": "3", "source": "emploi"}, "« Compétence » : choisissez"),
        ({"code_ogr": "424242", "rating": "3", "source": "emploi"}, "n’existe pas dans le ROME"),
    ):
        response = camille.post(url + "/competences", data=data)
        assert 400 <= response.status_code < 500, data
        assert expected in response.get_data(as_text=True), data
    assert _count(db_app, PortfolioEntry) == 0 and _count(db_app, PortfolioChange) == 0

    done = camille.post(
        url + "/competences",
        data={"label": "Accueillir du public", "rating": "3", "source": "benevolat"},
    )
    assert done.status_code == 302
    page = camille.get(url).get_data(as_text=True)
    assert "Accueillir du public" in page
    from service.extensions import db

    with db_app.app_context(), db.standalone() as s:
        entry = s.scalars(select(PortfolioEntry)).one()
        entry_id = entry.id
        assert (entry.rating, entry.source, entry.code_ogr) == (3, "benevolat", None)

    # a réalisation: every part required, linked competences must be this portfolio's
    bad = camille.post(
        url + "/realisations",
        data={"title": "Fête du quartier", "context": "", "action": "a", "result": "r"},
    )
    assert bad.status_code == 422 and "« Contexte » est obligatoire." in bad.get_data(as_text=True)
    foreign = camille.post(
        url + "/realisations",
        data={"title": "T", "context": "c", "action": "a", "result": "r", "entries": "99999"},
    )
    assert foreign.status_code == 422 and _count(db_app, Realisation) == 0
    ok = camille.post(
        url + "/realisations",
        data={
            "title": "Fête du quartier",
            "context": "Association de quartier",
            "action": "J’ai accueilli 200 visiteurs",
            "result": "Fête reconduite",
            "period": "2024",
            "entries": str(entry_id),
        },
    )
    assert ok.status_code == 302 and _count(db_app, Realisation) == 1

    # the counsellor sees it and edits it with the person; the history says who
    staff_url = STAFF.format(world.bilan)
    assert "Fête du quartier" in claire.get(staff_url).get_data(as_text=True)
    edit = claire.post(
        f"{staff_url}/competences/{entry_id}",
        data={"label": "Accueillir du public", "rating": "4", "source": "benevolat"},
    )
    assert edit.status_code == 302
    history = camille.get(url + "/historique").get_data(as_text=True)
    assert "claire" in history and "Camille" in history
    assert "compétence modifiée" in history and "réalisation ajoutée" in history
    assert _count(db_app, PortfolioChange) == 3


def test_the_counsellor_picks_a_target_by_job_title_and_adds_a_gap_to_the_plan(
    rome_app: Flask, world: World
) -> None:
    from service.extensions import db
    from service.features.metiers.search import search_appellations
    from service.models import ActionItem, GapTarget

    claire = rome_app.test_client()
    helpers.sign_in_staff(claire, "claire@test.fr")
    url = STAFF.format(world.bilan) + "/ecarts"
    page = claire.get(url + "?q=boulangr").get_data(as_text=True)
    assert "Boulanger-pâtissier" in page
    with rome_app.app_context(), db.standalone() as s:
        hit = search_appellations(s, "boulanger", limit=1)[0]
    bad = claire.post(url + "/cibles", data={"appellation": "x"})
    assert bad.status_code == 422 and "« Métier cible »" in bad.get_data(as_text=True)
    unknown = claire.post(url + "/cibles", data={"appellation": "9999999"})
    assert unknown.status_code == 422 and _count(rome_app, GapTarget) == 0
    assert claire.post(url + "/cibles", data={"appellation": str(hit.code_ogr)}).status_code == 302
    again = claire.post(url + "/cibles", data={"appellation": str(hit.code_ogr)})
    assert again.status_code == 409 and _count(rome_app, GapTarget) == 1
    page = claire.get(url).get_data(as_text=True)
    assert "D1102" in page and "Part couverte : 0" in page
    with rome_app.test_request_context(), db.standalone() as s:
        from service.features.portfolio import service

        target = s.scalars(select(GapTarget)).one()
        missing = next(i for sec in service.gap_analysis(s, target).sections for i in sec.items)
        target_id = target.id
    action_url = f"{url}/cibles/{target_id}/plan"
    assert claire.post(action_url, data={"code_ogr": str(missing.code_ogr)}).status_code == 302
    twice = claire.post(action_url, data={"code_ogr": str(missing.code_ogr)})
    assert twice.status_code == 409
    assert claire.post(action_url, data={"code_ogr": "1"}).status_code == 422
    with rome_app.app_context(), db.standalone() as s:
        action = s.scalars(select(ActionItem)).one()
        assert (action.gap_target_id, action.gap_code_ogr) == (target_id, missing.code_ogr)
        assert missing.label in action.text
    assert "dans le plan d’action" in claire.get(url).get_data(as_text=True)
    # the person reads the analysis but does not choose targets
    camille = rome_app.test_client()
    helpers.sign_in_beneficiary(camille, rome_app, world.beneficiary)
    mine = camille.get(BASE.format(world.bilan) + "/ecarts").get_data(as_text=True)
    assert "D1102" in mine and "Ajouter au plan d’action" not in mine
    assert camille.post(f"{BASE.format(world.bilan)}/ecarts/cibles").status_code in (404, 405)


def test_who_may_reach_the_portfolio(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.features.journey.consent import record_consent
    from service.models import Beneficiary, Bilan

    helpers.other_centre(
        db_app, staff=(("lea@autre.fr", "counsellor"), ("root@autre.fr", "admin")), beneficiary=True
    )
    pages = [BASE.format(world.bilan) + p for p in ("", "/historique", "/ecarts")]
    staff_pages = [STAFF.format(world.bilan) + p for p in ("", "/historique", "/ecarts")]
    add = BASE.format(world.bilan) + "/competences"
    staff_add = STAFF.format(world.bilan) + "/competences"
    entry = {"label": "Accueil", "rating": "3", "source": "emploi"}

    anonymous = db_app.test_client()
    for url in pages + staff_pages:
        assert "/connexion" in anonymous.get(url).headers.get("Location", ""), url
    other = db_app.test_client()
    helpers.sign_in_beneficiary(other, db_app, world.other_beneficiary)
    for url in pages:
        assert other.get(url).status_code == 404, url
    assert other.post(add, data=entry).status_code == 404
    for email in ("paul@test.fr", "lea@autre.fr", "admin@test.fr", "root@autre.fr"):
        client = db_app.test_client()
        helpers.sign_in_staff(client, email)
        for url in staff_pages:
            assert client.get(url).status_code in (403, 404), (email, url)
        assert client.post(staff_add, data=entry).status_code in (403, 404), email
        assert client.get(pages[0]).status_code == 403  # the person's pages: not staff

    # withdrawn consent: no processing, for the person and their counsellor alike
    with db_app.app_context(), db.standalone() as s:
        bilan, person = s.get(Bilan, world.bilan), s.get(Beneficiary, world.beneficiary)
        assert bilan is not None and person is not None
        record_consent(s, bilan, person, accepted=False, keep_for_followup=False)
    camille = db_app.test_client()
    helpers.sign_in_beneficiary(camille, db_app, world.beneficiary)
    claire = db_app.test_client()
    helpers.sign_in_staff(claire, "claire@test.fr")
    assert camille.get(pages[0]).status_code == 403
    assert camille.post(add, data=entry).status_code == 403
    assert claire.get(staff_pages[2]).status_code == 403
    assert claire.post(staff_add, data=entry).status_code == 403
    assert _count_entries(db_app) == 0


def _count_entries(app: Flask) -> int:
    from service.models import PortfolioEntry

    return _count(app, PortfolioEntry)


def test_history_dates_are_recorded(db_app: Flask, world: World, camille: FlaskClient) -> None:
    from service.extensions import db
    from service.models import PortfolioChange

    url = BASE.format(world.bilan) + "/competences"
    camille.post(url, data={"label": "Cuisiner", "rating": "2", "source": "vie_personnelle"})
    with db_app.app_context(), db.standalone() as s:
        change = s.scalars(select(PortfolioChange)).one()
        assert (change.actor_kind, change.actor_id, change.action) == (
            "beneficiary",
            world.beneficiary,
            "add_entry",
        )
        assert abs(change.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
        assert '"niveau": 2' in change.snapshot


def test_the_gap_analysis_and_the_portfolio_enter_the_synthesis_once_approved(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    import io
    import json

    from docx import Document
    from pypdf import PdfReader

    from service.extensions import db
    from service.models import Realisation, SynthesisItem

    _fiche(db_app)
    target_id = _portfolio(db_app, world)
    with db_app.app_context(), db.standalone() as s:
        s.add(
            Realisation(
                bilan_id=world.bilan,
                title="Fournée de Noël",
                context="Boulangerie de quartier",
                action="Préparé 300 bûches",
                result="Tout vendu",
            )
        )
    b = world.bilan
    sections = {"circumstances": "Contexte du bilan", "competences": "Compétences", "project": "P"}
    assert claire.post(f"/conseil/bilans/{b}/synthese", data=sections).status_code == 302
    page = claire.get(f"/conseil/bilans/{b}/synthese/resultats").get_data(as_text=True)
    assert "Analyse des écarts : Métier d’essai (Z9901)" in page
    assert "Portefeuille de compétences" in page
    bad = claire.post(f"/conseil/bilans/{b}/synthese/portefeuille", data={"element": "gap:999"})
    assert bad.status_code == 422
    for element in (f"gap:{target_id}", "portfolio"):
        url = f"/conseil/bilans/{b}/synthese/portefeuille"
        assert claire.post(url, data={"element": element}).status_code == 302
    assert claire.post(url, data={"element": "portfolio"}).status_code == 409
    drop = claire.post(f"{STAFF.format(b)}/ecarts/cibles/{target_id}/suppression")
    assert drop.status_code == 409 and "proposée pour la synthèse" in drop.get_data(as_text=True)
    assert claire.post(f"/conseil/bilans/{b}/synthese/partage").status_code == 302

    # not in the document before the person approves
    before = json.loads(claire.get(f"/conseil/bilans/{b}/synthese.json").data)
    assert not any("Analyse des écarts" in g["questionnaire"] for g in before["results"])
    mine = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert "Portefeuille et analyse des écarts proposés pour votre synthèse" in mine
    with db_app.app_context(), db.standalone() as s:
        items = {i.element: i.id for i in s.scalars(select(SynthesisItem))}
    decide = f"/espace/bilans/{b}/synthese/elements/"
    assert camille.post(decide + str(items[f"gap:{target_id}"]), data={"decision": "approved"})
    assert camille.post(decide + str(items["portfolio"]), data={"decision": "approved"})

    data = json.loads(claire.get(f"/conseil/bilans/{b}/synthese.json").data)
    gap = next(g for g in data["results"] if g["questionnaire"].startswith("Analyse des écarts"))
    text = json.dumps(gap, ensure_ascii=False)
    assert "Part couverte : 40" in text and "Vendre" in text and "manquante" in text
    assert any(g["questionnaire"] == "Portefeuille de compétences" for g in data["results"])
    docx = Document(io.BytesIO(claire.get(f"/conseil/bilans/{b}/synthese.docx").data))
    words = "\n".join(
        [p.text for p in docx.paragraphs]
        + [c.text for t in docx.tables for r in t.rows for c in r.cells]
    )
    assert "Analyse des écarts : Métier d’essai (Z9901)" in words
    assert "Pétrir la pâte" in words and "4 — expert, je peux transmettre" in words
    assert "Fournée de Noël" in words and "Tout vendu" in words
    pdf = claire.get(f"/conseil/bilans/{b}/synthese.pdf")
    if pdf.status_code == 200:
        pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "Analyse des écarts" in pdf_text and "Fournée de Noël" in pdf_text
    else:
        assert pdf.status_code == 503  # no PDF engine on this machine


def test_the_action_rule_matches_the_synthesis() -> None:
    """The portfolio writes its actions with the plan's rule (it may not import the
    synthesis, which imports it): the same limit and follow-up delay."""
    from service.features.portfolio import service as portfolio
    from service.features.synthesis import service as synthesis

    assert portfolio.ACTION_MAX == synthesis.ACTION_MAX
    assert portfolio.FOLLOWUP_MONTHS == synthesis.FOLLOWUP_MONTHS
