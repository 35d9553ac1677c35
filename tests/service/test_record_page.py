"""The record page, split into parts one can fold or reach from its table of contents: each
part a <details> with its digest, folded unless its form has errors; "questionnaires à
terminer avant" only while some are not done."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.service.conftest import World
from tests.service.test_counsellor import BFI, RIASEC, VALUES, complete
from tests.service.test_record import planned, text_of  # noqa: F401 (fixtures)

PARTS = ("statut", "convention", "etapes", "heures", "entretiens", "travail")


def _folds(html: str) -> dict[str, bool]:
    """Each part's heading id -> whether its <details> is open."""
    found = re.findall(r'<details class="fold" data-fold( open)?>\s*<summary><h2 id="(\w+)"', html)
    return {key: bool(is_open) for is_open, key in found}


def test_the_record_page_is_folded_with_a_table_of_contents(
    claire: FlaskClient,
    planned: World,  # noqa: F811
) -> None:
    page = text_of(claire.get(f"/conseil/bilans/{planned.bilan}/dossier"))
    assert _folds(page) == dict.fromkeys(PARTS, False)
    toc = page.split('aria-label="Parties du dossier"')[1].split("</nav>")[0]
    assert re.findall(r'href="#(\w+)"', toc) == list(PARTS)
    assert "8 étapes" in page and "convention non signée" in page
    assert "aucun entretien enregistré" in page and "0 h réalisées sur 24 h" in page


def test_a_part_whose_form_was_refused_is_open(
    claire: FlaskClient,
    planned: World,  # noqa: F811
) -> None:
    response = claire.post(
        f"/conseil/bilans/{planned.bilan}/dossier/entretiens",
        data={"entretien-held_at": "", "entretien-minutes": "0", "entretien-mode": "presentiel"},
    )
    assert response.status_code == 422
    folds = _folds(response.get_data(as_text=True))
    assert folds["entretiens"] is True
    assert [k for k, v in folds.items() if v] == ["entretiens"]


def test_questionnaires_to_finish_only_while_some_are_not_done(
    db_app: Flask,
    claire: FlaskClient,
    planned: World,  # noqa: F811
) -> None:
    url = f"/conseil/bilans/{planned.bilan}/dossier"
    before = text_of(claire.get(url))
    assert "questionnaires à terminer avant" in before
    for iid in (BFI, RIASEC, VALUES):
        complete(db_app, planned.assignments[iid])
    after = text_of(claire.get(url))
    assert "questionnaires à terminer avant" not in after
    assert "Tous terminés : restitution à l’entretien du" in after
