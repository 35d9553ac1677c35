"""The document de synthèse and the action plan: versions kept until the person approves,
then locked (409); observations; results proposed item by item and decided by the person
alone; only approved results in the HTML, DOCX and JSON; the action plan and its follow-up
date; downloads logged; and who may NOT see or change any of it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import (
    BFI,
    RIASEC,
    VALUES,
    audit_actions,
    complete,
    other_clients,
    set_values,
)

SECTIONS = {
    "circumstances": "Camille souhaite changer de métier après dix ans en comptabilité.",
    "competences": "Rigueur, sens du service, goût pour la transmission.",
    "project": "Devenir formatrice pour adultes ; étapes : enquêtes, titre professionnel.",
}


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def done(db_app: Flask, world: World) -> World:
    for iid in (BFI, RIASEC, VALUES):
        complete(db_app, world.assignments[iid])
    return world


def rows(app: Flask, model: Any, **where: Any) -> list[Any]:
    """Detached copies of the rows of ``model`` (attribute dicts), ordered by id."""
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        query = select(model).order_by(model.id)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return [
            {c.name: getattr(r, c.name) for c in model.__table__.columns} for r in s.scalars(query)
        ]


def versions(app: Flask, bilan: int) -> list[dict[str, Any]]:
    from service.models import SynthesisVersion

    return sorted(rows(app, SynthesisVersion, bilan_id=bilan), key=lambda v: v["version"])


def items(app: Flask, bilan: int) -> dict[tuple[int, str], dict[str, Any]]:
    from service.models import SynthesisItem

    return {(i["assignment_id"], i["element"]): i for i in rows(app, SynthesisItem, bilan_id=bilan)}


def docx_text(document: Any) -> str:
    """Every paragraph and table cell of a DOCX, in order of appearance."""
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def save(client: FlaskClient, bilan: int, **changes: str) -> Any:
    return client.post(f"/conseil/bilans/{bilan}/synthese", data={**SECTIONS, **changes})


def share(client: FlaskClient, bilan: int) -> Any:
    return client.post(f"/conseil/bilans/{bilan}/synthese/partage")


def propose(client: FlaskClient, bilan: int, aid: int, element: str) -> Any:
    return client.post(
        f"/conseil/bilans/{bilan}/synthese/resultats",
        data={"assignment_id": str(aid), "element": element},
    )


def decide(client: FlaskClient, bilan: int, item_id: int, decision: str) -> Any:
    return client.post(
        f"/espace/bilans/{bilan}/synthese/elements/{item_id}", data={"decision": decision}
    )


def approve(client: FlaskClient, bilan: int, version: int) -> Any:
    return client.post(
        f"/espace/bilans/{bilan}/synthese/approbation",
        data={"version": str(version), "confirm": "y"},
    )


# --- versions -----------------------------------------------------------------------------


def test_a_draft_is_overwritten_until_shared_then_each_change_is_a_new_version(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    b = world.bilan
    assert save(claire, b).status_code == 302
    assert save(claire, b, project="Premier jet du projet.").status_code == 302
    first = versions(db_app, b)
    assert [v["version"] for v in first] == [1]  # the unshared draft was overwritten
    assert first[0]["project"] == "Premier jet du projet." and first[0]["shared_at"] is None

    # before sharing, the person sees nothing of it
    page = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert "Premier jet" not in page and "pas encore partagé" in page
    assert camille.get(f"/espace/bilans/{b}/synthese.pdf").status_code == 404

    assert share(claire, b).status_code == 302
    assert save(claire, b, project="Premier jet du projet.").status_code == 302  # unchanged
    assert len(versions(db_app, b)) == 1
    assert save(claire, b, project="Projet revu après les enquêtes.").status_code == 302
    kept = versions(db_app, b)
    assert [v["version"] for v in kept] == [1, 2]
    assert kept[0]["project"] == "Premier jet du projet." and kept[0]["shared_at"] is not None
    assert kept[1]["project"] == "Projet revu après les enquêtes." and kept[1]["shared_at"] is None

    # the person reads the shared version 1, not the draft 2
    page = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert "Premier jet du projet." in page and "Projet revu" not in page
    assert "version 1" in page
    # a second share of the same version is refused; sharing 2 makes it the one read
    assert share(claire, b).status_code == 302
    assert share(claire, b).status_code == 409
    page = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert "Projet revu après les enquêtes." in page and "Premier jet" not in page

    staff = claire.get(f"/conseil/bilans/{b}/synthese").get_data(as_text=True)
    assert "Texte de la version 1" in staff and "en attente de lecture" in staff


def test_sharing_needs_some_text_and_long_sections_are_refused_without_writing(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    b = world.bilan
    r = share(claire, b)
    assert r.status_code == 422
    assert "Rédigez au moins une rubrique" in r.get_data(as_text=True)
    r = save(claire, b, competences="x" * 50_001)
    assert r.status_code == 422
    assert "50 000 caractères au plus" in r.get_data(as_text=True)
    assert versions(db_app, b) == []


def test_observations_then_a_new_version_restarts_the_cycle_and_approval_locks(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    b = world.bilan
    save(claire, b)
    share(claire, b)
    r = camille.post(
        f"/espace/bilans/{b}/synthese/observations",
        data={"observations": "Je préfère parler de reconversion que de changement."},
    )
    assert r.status_code == 302
    v1 = versions(db_app, b)[0]
    assert v1["observations"] == "Je préfère parler de reconversion que de changement."
    staff = claire.get(f"/conseil/bilans/{b}/synthese").get_data(as_text=True)
    assert "observations reçues" in staff and "parler de reconversion" in staff

    save(claire, b, circumstances="Camille souhaite une reconversion professionnelle.")
    share(claire, b)
    v1, v2 = versions(db_app, b)
    assert v1["observations"] is not None  # kept on the version read
    assert v2["observations"] is None and v2["approved_at"] is None  # a new cycle

    # approving the version read before the new one was shared is refused
    r = approve(camille, b, 1)
    assert r.status_code == 409 and "version plus récente" in r.get_data(as_text=True)
    # the box must be ticked
    r = camille.post(f"/espace/bilans/{b}/synthese/approbation", data={"version": "2"})
    assert r.status_code == 422 and "Cochez la case" in r.get_data(as_text=True)
    assert all(v["approved_at"] is None for v in versions(db_app, b))

    camille.post(f"/espace/bilans/{b}/synthese/observations", data={"observations": "D’accord."})
    assert approve(camille, b, 2).status_code == 302
    v2 = versions(db_app, b)[1]
    assert v2["approved_at"] is not None and v2["observations"] == "D’accord."

    # locked: every change is refused with a clear message, nothing written
    r = save(claire, b, project="Un autre projet.")
    assert r.status_code == 409
    text = r.get_data(as_text=True)
    assert "approuvé la version 2" in text and "verrouillé" in text
    assert share(claire, b).status_code == 409
    r = camille.post(f"/espace/bilans/{b}/synthese/observations", data={"observations": "Ajout"})
    assert r.status_code == 409
    assert approve(camille, b, 2).status_code == 409
    after = versions(db_app, b)
    assert [v["version"] for v in after] == [1, 2]
    assert after[1]["project"] == SECTIONS["project"] and after[1]["observations"] == "D’accord."
    page = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert "Vous avez approuvé ce document" in page and "J’approuve" not in page


def test_the_counsellor_cannot_decide_comment_or_approve_on_the_persons_behalf(
    db_app: Flask, done: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    b = done.bilan
    save(claire, b)
    share(claire, b)
    propose(claire, b, done.assignments[RIASEC], "summary")
    (item,) = items(db_app, b).values()
    assert decide(claire, b, item["id"], "approved").status_code == 403
    r = claire.post(f"/espace/bilans/{b}/synthese/observations", data={"observations": "x"})
    assert r.status_code == 403
    assert approve(claire, b, 1).status_code == 403
    assert claire.get(f"/espace/bilans/{b}/synthese").status_code == 403
    assert items(db_app, b)[(done.assignments[RIASEC], "summary")]["decision"] == "pending"
    v = versions(db_app, b)[0]
    assert v["approved_at"] is None and v["observations"] is None


# --- results proposed for the synthesis ---------------------------------------------------


def test_results_enter_the_documents_only_when_the_person_approves_them(
    db_app: Flask, done: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    b, riasec, values, bfi = (
        done.bilan,
        done.assignments[RIASEC],
        done.assignments[VALUES],
        done.assignments[BFI],
    )
    page = claire.get(f"/conseil/bilans/{b}/synthese/resultats").get_data(as_text=True)
    values_chart, bfi_scale = "Valeurs au travail", "Ouverture"
    assert values_chart in page and bfi_scale in page  # offered here, so the checks below bite
    # summary + scales + charts: BFI 2 + 1 (domains), RIASEC 2 + 2, values 2 (a ranked table)
    assert page.count("Proposer pour la synthèse") == 3 + 4 + 2
    assert (f"staff:{done.counsellor}", "view_synthesis_results") in audit_actions(db_app)

    for aid, element in (
        (riasec, "summary"),
        (riasec, "chart:riasec_hexagon"),
        (values, "scales"),
        (bfi, "scales"),
        (bfi, "chart:personality"),
    ):
        assert propose(claire, b, aid, element).status_code == 302, element
    assert propose(claire, b, riasec, "summary").status_code == 409  # already proposed
    assert propose(claire, b, riasec, "chart:personality").status_code == 422  # not RIASEC's
    assert propose(claire, b, done.other_assignment, "summary").status_code == 404
    assert len(items(db_app, b)) == 5

    # the person sees each proposal and decides on their own page
    page = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert page.count("En attente de votre décision") == 5
    assert "Hexagone RIASEC" in page and "data:image/svg+xml;base64," in page
    by = items(db_app, b)
    assert decide(camille, b, by[(riasec, "summary")]["id"], "approved").status_code == 302
    r = decide(camille, b, by[(riasec, "chart:riasec_hexagon")]["id"], "approved")
    assert r.status_code == 302
    assert decide(camille, b, by[(values, "scales")]["id"], "refused").status_code == 302
    assert decide(camille, b, by[(bfi, "scales")]["id"], "maybe").status_code == 422
    by = items(db_app, b)
    assert by[(riasec, "summary")]["decision"] == "approved"
    assert by[(values, "scales")]["decision"] == "refused"
    assert by[(bfi, "scales")]["decision"] == "pending"

    save(claire, b)
    # JSON: the approved elements only
    data = json.loads(claire.get(f"/conseil/bilans/{b}/synthese.json").data)
    assert data["format"] == "boussole.synthesis" and data["format_version"] == 1
    (group,) = data["results"]
    assert group["instrument_key"].startswith("riasec-60@")
    assert [e["element"] for e in group["elements"]] == ["summary", "chart:riasec_hexagon"]
    assert group["elements"][1]["table"]["header"][0]  # the chart's data as a table
    # HTML preview: the RIASEC summary and hexagon, nothing of the values or BFI
    html = claire.get(f"/conseil/bilans/{b}/synthese/document").get_data(as_text=True)
    assert "Hexagone RIASEC" in html and html.count("<img") == 1
    assert values_chart not in html and bfi_scale not in html
    # DOCX: one picture (the approved chart), no values/BFI
    document = Document(io.BytesIO(claire.get(f"/conseil/bilans/{b}/synthese.docx").data))
    assert len(document.inline_shapes) == 1
    text = docx_text(document)
    assert "Hexagone RIASEC" in text and bfi_scale not in text and values_chart not in text
    assert values_chart not in json.dumps(data, ensure_ascii=False)

    # pending proposals block the approval; a pending one can be withdrawn
    share(claire, b)
    r = approve(camille, b, 1)
    assert r.status_code == 409 and "acceptez ou refusez" in r.get_data(as_text=True)
    assert (
        claire.post(
            f"/conseil/bilans/{b}/synthese/resultats/{by[(bfi, 'scales')]['id']}/retrait"
        ).status_code
        == 302
    )
    r = claire.post(
        f"/conseil/bilans/{b}/synthese/resultats/{by[(riasec, 'summary')]['id']}/retrait"
    )
    assert r.status_code == 409  # the person already decided on it
    decide(camille, b, by[(bfi, "chart:personality")]["id"], "refused")
    assert approve(camille, b, 1).status_code == 302

    # locked: no more proposals, decisions or withdrawals
    assert propose(claire, b, bfi, "summary").status_code == 409
    assert decide(camille, b, by[(values, "scales")]["id"], "approved").status_code == 409
    assert items(db_app, b)[(values, "scales")]["decision"] == "refused"


def test_results_of_satisfaction_questionnaires_cannot_be_proposed(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Assignment, ScoreRecord

    instruments = db_app.extensions["boussole.instruments"]
    with db_app.app_context(), db.standalone() as s:
        a = Assignment(
            bilan_id=done.bilan,
            instrument_id="satisfaction-fin-bilan",
            instrument_version=instruments["satisfaction-fin-bilan"].version,
            status="completed",
            completed_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
            purpose="end",
        )
        s.add(a)
        s.flush()
        s.add(ScoreRecord(assignment_id=a.id, instrument_key="satisfaction", scores={}))
        aid = a.id
    assert propose(claire, done.bilan, aid, "summary").status_code == 422
    page = claire.get(f"/conseil/bilans/{done.bilan}/synthese/resultats").get_data(as_text=True)
    assert "Satisfaction de fin de bilan" not in page


# --- action plan --------------------------------------------------------------------------


def test_action_plan_editing_and_the_follow_up_date_six_months_after_the_end(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    from service.models import ActionItem, Bilan

    b = world.bilan
    set_values(db_app, Bilan, b, planned_end=dt.date(2026, 4, 30))
    page = claire.get(f"/conseil/bilans/{b}/plan-action").get_data(as_text=True)
    assert "30 octobre 2026" in page  # proposed, not yet stored
    assert rows(db_app, Bilan, id=b)[0]["followup_date"] is None

    url = f"/conseil/bilans/{b}/plan-action"
    r = claire.post(url, data={"text": "Rencontrer deux formatrices", "status": "a_faire"})
    assert r.status_code == 302
    assert rows(db_app, Bilan, id=b)[0]["followup_date"] == dt.date(2026, 10, 30)
    r = claire.post(
        url,
        data={
            "text": "S’inscrire au titre professionnel",
            "owner": "Claire (conseillère)",
            "due_on": "2026-06-15",
            "status": "en_cours",
        },
    )
    assert r.status_code == 302
    first, second = rows(db_app, ActionItem, bilan_id=b)
    assert (first["owner"], first["position"], first["due_on"]) == ("bénéficiaire", 1, None)
    assert (second["owner"], second["position"], second["due_on"], second["status"]) == (
        "Claire (conseillère)",
        2,
        dt.date(2026, 6, 15),
        "en_cours",
    )

    # bad input: a clear message naming the field, nothing written
    for data, message in (
        ({"text": "", "status": "a_faire"}, "Décrivez l’action."),
        ({"text": "x", "owner": "", "status": "a_faire"}, "Indiquez qui est responsable"),
        ({"text": "x", "status": "termine"}, "État"),
        ({"text": "x", "status": "a_faire", "due_on": "15/06/2026"}, "Échéance"),
    ):
        r = claire.post(url, data=data)
        assert r.status_code == 422, data
        assert message in r.get_data(as_text=True), data
    assert len(rows(db_app, ActionItem, bilan_id=b)) == 2

    # reorder, edit, delete
    r = claire.post(f"{url}/{second['id']}/deplacement", data={"direction": "up"})
    assert r.status_code == 302
    order = [
        a["id"] for a in sorted(rows(db_app, ActionItem, bilan_id=b), key=lambda a: a["position"])
    ]
    assert order == [second["id"], first["id"]]
    assert claire.get(f"{url}/{first['id']}").status_code == 200
    r = claire.post(
        f"{url}/{first['id']}",
        data={"text": "Rencontrer trois formatrices", "owner": "bénéficiaire", "status": "fait"},
    )
    assert r.status_code == 302
    edited = rows(db_app, ActionItem, id=first["id"])[0]
    assert (edited["text"], edited["status"]) == ("Rencontrer trois formatrices", "fait")
    assert claire.post(f"{url}/{second['id']}/suppression").status_code == 302
    (left,) = rows(db_app, ActionItem, bilan_id=b)
    assert left["position"] == 1
    page = claire.get(url).get_data(as_text=True)
    assert "Rencontrer trois formatrices" in page and "Faite" in page

    # the follow-up date is editable and not reset by later edits
    assert claire.post(f"{url}/suivi", data={"followup_date": "2026-11-05"}).status_code == 302
    claire.post(url, data={"text": "Relancer l’organisme de formation", "status": "a_faire"})
    assert rows(db_app, Bilan, id=b)[0]["followup_date"] == dt.date(2026, 11, 5)
    r = claire.post(f"{url}/suivi", data={"followup_date": "demain"})
    assert r.status_code == 422


def test_follow_up_default_uses_the_end_of_the_bilan_in_paris_time(db_app: Flask) -> None:
    from service.features.synthesis.service import add_months, default_followup
    from service.models import Bilan

    bilan = Bilan(planned_end=dt.date(2026, 4, 30))
    assert default_followup(bilan) == dt.date(2026, 10, 30)
    # ended at 23:30 UTC on 31 March = 1 April in Paris: the real end wins over the plan
    bilan.ended_at = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert default_followup(bilan) == dt.date(2026, 10, 1)
    assert default_followup(Bilan()) is None
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)


def test_the_action_plan_stays_editable_after_approval(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    from service.models import ActionItem

    b = world.bilan
    save(claire, b)
    share(claire, b)
    approve(camille, b, 1)
    r = claire.post(f"/conseil/bilans/{b}/plan-action", data={"text": "Suivi", "status": "fait"})
    assert r.status_code == 302
    assert [a["text"] for a in rows(db_app, ActionItem, bilan_id=b)] == ["Suivi"]


# --- documents and their downloads --------------------------------------------------------


def test_downloads_hold_the_document_and_are_logged(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    from service.models import Bilan

    b = world.bilan
    # nothing written yet: no document
    r = claire.get(f"/conseil/bilans/{b}/synthese.docx")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/conseil/bilans/{b}/synthese")
    set_values(db_app, Bilan, b, start_date=dt.date(2026, 2, 2), planned_end=dt.date(2026, 4, 30))
    save(claire, b)
    claire.post(f"/conseil/bilans/{b}/plan-action", data={"text": "Enquête", "status": "a_faire"})

    r = claire.get(f"/conseil/bilans/{b}/synthese.docx")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == f'attachment; filename="synthese-bilan-{b}-v1.docx"'
    assert r.headers["Cache-Control"] == "no-store"
    document = Document(io.BytesIO(r.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert SECTIONS["competences"] in text
    assert "Version de travail 1, pas encore partagée" in text
    data = json.loads(claire.get(f"/conseil/bilans/{b}/synthese.json").data)
    assert data["action_plan"]["followup_date"] == "2026-10-30"
    assert data["action_plan"]["actions"][0]["action"] == "Enquête"
    assert data["bilan"]["start_date"] == "2026-02-02"

    share(claire, b)
    r = camille.get(f"/espace/bilans/{b}/synthese.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    assert "Camille souhaite changer de métier" in pdf_text
    assert "Page 2 sur" in pdf_text
    assert camille.get(f"/espace/bilans/{b}/synthese.json").status_code == 404  # staff only
    assert camille.get(f"/espace/bilans/{b}/synthese.docx").status_code == 200

    actions = audit_actions(db_app)
    staff, person = f"staff:{world.counsellor}", f"beneficiary:{world.beneficiary}"
    assert (staff, "synthesis_docx") in actions and (staff, "synthesis_json") in actions
    assert (person, "synthesis_pdf") in actions and (person, "synthesis_docx") in actions


def test_the_home_page_links_to_the_synthesis_once_there_is_something_to_read(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    link = f"/espace/bilans/{world.bilan}/synthese"
    save(claire, world.bilan)
    assert link not in camille.get("/espace/").get_data(as_text=True)
    share(claire, world.bilan)
    assert link in camille.get("/espace/").get_data(as_text=True)


class _Ids(HTMLParser):
    """The ids of a page (tag of each, in order; hidden fields left out) and the targets
    of its ``<label for>``."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[tuple[str, str]] = []
        self.label_for: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id") and found.get("type") != "hidden":  # CSRF fields share one id
            self.ids.append((str(found["id"]), tag))
        if tag == "label" and found.get("for"):
            self.label_for.append(str(found["for"]))


def test_the_persons_page_ties_each_label_to_its_field(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    """The heading of "Mes observations" had the id of the observations field: the label
    named the heading (``getElementById`` finds it first), and the field had no name."""
    save(claire, world.bilan)
    share(claire, world.bilan)
    page = _Ids()
    page.feed(camille.get(f"/espace/bilans/{world.bilan}/synthese").get_data(as_text=True))
    ids = [i for i, _tag in page.ids]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    tags = dict(page.ids)
    assert page.label_for and all(
        tags.get(i) in ("input", "textarea", "select") for i in page.label_for
    ), [(i, tags.get(i)) for i in page.label_for]
    r = camille.post(
        f"/espace/bilans/{world.bilan}/synthese/observations", data={"observations": "Oui."}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#mes-observations")
    assert 'id="mes-observations"' in camille.get(r.headers["Location"]).get_data(as_text=True)


# --- who may not --------------------------------------------------------------------------

COUNSELLOR_GETS = [
    "/conseil/bilans/{b}/synthese",
    "/conseil/bilans/{b}/synthese/document",
    "/conseil/bilans/{b}/synthese.docx",
    "/conseil/bilans/{b}/synthese.pdf",
    "/conseil/bilans/{b}/synthese.json",
    "/conseil/bilans/{b}/synthese/resultats",
    "/conseil/bilans/{b}/plan-action",
    "/conseil/bilans/{b}/plan-action/{action}",
]
COUNSELLOR_POSTS = [
    "/conseil/bilans/{b}/synthese",
    "/conseil/bilans/{b}/synthese/partage",
    "/conseil/bilans/{b}/synthese/resultats",
    "/conseil/bilans/{b}/synthese/resultats/{item}/retrait",
    "/conseil/bilans/{b}/plan-action",
    "/conseil/bilans/{b}/plan-action/{action}",
    "/conseil/bilans/{b}/plan-action/{action}/suppression",
    "/conseil/bilans/{b}/plan-action/{action}/deplacement",
    "/conseil/bilans/{b}/plan-action/suivi",
]
PERSON_GETS = ["/espace/bilans/{b}/synthese", "/espace/bilans/{b}/synthese.pdf"]
PERSON_POSTS = [
    "/espace/bilans/{b}/synthese/elements/{item}",
    "/espace/bilans/{b}/synthese/observations",
    "/espace/bilans/{b}/synthese/approbation",
]


@pytest.fixture
def shared(db_app: Flask, done: World, claire: FlaskClient) -> dict[str, int]:
    """A shared version, a proposed result and one action on Camille's bilan."""
    from service.models import ActionItem

    save(claire, done.bilan)
    share(claire, done.bilan)
    propose(claire, done.bilan, done.assignments[RIASEC], "summary")
    claire.post(f"/conseil/bilans/{done.bilan}/plan-action", data={"text": "Enquête"})
    (item,) = items(db_app, done.bilan).values()
    (action,) = rows(db_app, ActionItem, bilan_id=done.bilan)
    return {"b": done.bilan, "item": item["id"], "action": action["id"]}


def _state(app: Flask, bilan: int) -> tuple[Any, ...]:
    from service.models import ActionItem, Bilan

    return (
        versions(app, bilan),
        items(app, bilan),
        rows(app, ActionItem, bilan_id=bilan),
        rows(app, Bilan, id=bilan)[0]["followup_date"],
    )


@pytest.mark.parametrize("who", ["paul", "admin", "other_beneficiary", "anonymous", "camille"])
def test_nobody_else_reaches_the_counsellors_pages(
    db_app: Flask, done: World, shared: dict[str, int], who: str
) -> None:
    if who == "camille":
        client = db_app.test_client()
        sign_in_beneficiary(client, db_app, done.beneficiary)
    else:
        client = other_clients(db_app, done)[who]
    before = _state(db_app, shared["b"])
    data = {
        **SECTIONS,
        "text": "intrus",
        "assignment_id": str(done.assignments[BFI]),
        "element": "chart:values",
    }
    requests = [("GET", url) for url in COUNSELLOR_GETS] + [
        ("POST", url) for url in COUNSELLOR_POSTS
    ]
    for method, url in requests:
        target = url.format(**shared)
        r = client.get(target) if method == "GET" else client.post(target, data=data)
        if who == "anonymous":
            assert r.status_code == 302 and "/connexion" in r.headers["Location"], target
        elif who in ("other_beneficiary", "camille"):
            assert r.status_code == 403, target
        else:
            assert r.status_code == 404, target
        assert SECTIONS["project"].encode() not in r.data, target
    assert _state(db_app, shared["b"]) == before
    assert not [a for a in audit_actions(db_app) if not a[0].startswith(f"staff:{done.counsellor}")]


@pytest.mark.parametrize("who", ["claire", "paul", "admin", "other_beneficiary", "anonymous"])
def test_nobody_but_the_person_reaches_their_synthesis_page(
    db_app: Flask, done: World, shared: dict[str, int], who: str
) -> None:
    if who == "claire":
        client = db_app.test_client()
        sign_in_staff(client, "claire@test.fr")
    else:
        client = other_clients(db_app, done)[who]
    before = _state(db_app, shared["b"])
    data = {"decision": "approved", "observations": "intrus", "version": "1", "confirm": "y"}
    for url in PERSON_GETS + PERSON_POSTS:
        target = url.format(**shared)
        r = client.get(target) if url in PERSON_GETS else client.post(target, data=data)
        if who == "anonymous":
            assert r.status_code == 302 and "/connexion" in r.headers["Location"], target
        elif who == "other_beneficiary":
            assert r.status_code == 404, target
        else:  # staff, the counsellor of the bilan included: never on the person's behalf
            assert r.status_code == 403, target
        assert SECTIONS["project"].encode() not in r.data, target
    assert _state(db_app, shared["b"]) == before


def test_a_person_cannot_decide_on_another_bilans_items(
    db_app: Flask, done: World, shared: dict[str, int]
) -> None:
    """Dominique, on her own bilan's URL, cannot reach an item of Camille's bilan."""
    other = db_app.test_client()
    sign_in_beneficiary(other, db_app, done.other_beneficiary)
    r = decide(other, done.other_bilan, shared["item"], "approved")
    assert r.status_code == 404
    assert items(db_app, done.bilan)[(done.assignments[RIASEC], "summary")]["decision"] == (
        "pending"
    )
