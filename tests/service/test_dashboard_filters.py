"""The dashboard's search and filters (name, status, phase, counsellor) from the query
string; bad values are ignored with a message naming the filter, never a 500; an ended
bilan shows no "prochain entretien"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.models.states import BilanStatus
from tests.service.conftest import World, sign_in_staff

#: A next interview set on the ended bilan (as left before its end).
STALE = dt.datetime(2031, 5, 17, 8, 0, tzinfo=dt.UTC)


@dataclass
class Caseload:
    world: World
    ended: int  # Noé Lefèvre's bilan, ended, with a stale next interview
    shared: int  # Sacha Roux's bilan, followed by Claire and Paul


@pytest.fixture
def caseload(db_app: Flask, world: World) -> Caseload:
    from service.extensions import db
    from service.models import Beneficiary, Bilan, StaffUser

    with db_app.app_context(), db.standalone() as s:
        claire = s.get(StaffUser, world.counsellor)
        paul = s.get(StaffUser, world.other_counsellor)
        assert claire is not None and paul is not None
        ids = []
        for first, last, status, followers in (
            ("Noé", "Lefèvre", BilanStatus.TERMINE, [claire]),
            ("Sacha", "Roux", BilanStatus.INVESTIGATION, [claire, paul]),
        ):
            person = Beneficiary(centre_id=world.centre, first_name=first, last_name=last)
            s.add(person)
            s.flush()
            bilan = Bilan(
                centre_id=world.centre,
                beneficiary_id=person.id,
                status=status,
                next_interview_at=STALE,
                followup_date=dt.date(2031, 11, 17),
            )
            bilan.counsellors.extend(followers)
            s.add(bilan)
            s.flush()
            ids.append(bilan.id)
    return Caseload(world, *ids)


@pytest.fixture
def claire(db_app: Flask, caseload: Caseload) -> FlaskClient:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    return client


def _names(html: str) -> list[str]:
    return re.findall(
        r'<th scope="row" role="rowheader"><a href="/conseil/bilans/\d+">([^<]+)</a>', html
    )


def _get(client: FlaskClient, query: str) -> tuple[int, str]:
    response = client.get(f"/conseil/{query}")
    return response.status_code, response.get_data(as_text=True)


def test_search_by_name_ignores_case_and_accents(claire: FlaskClient) -> None:
    status, html = _get(claire, "")
    assert status == 200 and sorted(_names(html)) == ["Camille Martin", "Noé Lefèvre", "Sacha Roux"]
    assert "3 bilans." in html
    _status, html = _get(claire, "?q=LEFEVRE+noe")
    assert _names(html) == ["Noé Lefèvre"]
    assert "1 bilan sur 3 correspond à la recherche." in html
    assert 'value="LEFEVRE noe"' in html  # the search is shown again
    _status, html = _get(claire, "?q=dominique")  # Paul's bilan: never Claire's to see
    assert _names(html) == [] and "Aucun bilan ne correspond à ces filtres." in html


def test_filter_by_status_phase_and_counsellor(claire: FlaskClient, caseload: Caseload) -> None:
    assert _names(_get(claire, "?statut=termine")[1]) == ["Noé Lefèvre"]
    assert sorted(_names(_get(claire, "?statut=en-cours")[1])) == ["Camille Martin", "Sacha Roux"]
    assert _names(_get(claire, "?phase=preliminaire")[1]) == ["Camille Martin"]
    assert _names(_get(claire, "?statut=en-cours&phase=investigation")[1]) == ["Sacha Roux"]
    html = _get(claire, "")[1]
    assert (
        'name="conseiller"' in html
        and f'<option value="{caseload.world.other_counsellor}">paul</option>' in html
    )
    assert _names(_get(claire, f"?conseiller={caseload.world.other_counsellor}")[1]) == [
        "Sacha Roux"
    ]


def test_the_counsellor_filter_appears_only_with_several_counsellors(
    db_app: Flask, world: World
) -> None:
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    html = paul.get("/conseil/").get_data(as_text=True)
    assert _names(html) == ["Dominique Petit"] and 'name="conseiller"' not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?phase=zzz", "Filtre « Phase » ignoré : cette valeur n’est pas dans la liste."),
        (
            "?statut=termin%C3%A9",
            "Filtre « Statut » ignoré : cette valeur n’est pas dans la liste.",
        ),
        ("?conseiller=abc", "Filtre « Conseiller ou conseillère » ignoré"),
        ("?conseiller=999999", "Filtre « Conseiller ou conseillère » ignoré"),
        ("?q=" + "x" * 150, "Filtre « Nom de la personne » ignoré : 100 caractères au plus."),
    ],
)
def test_a_bad_filter_is_ignored_with_a_message(
    claire: FlaskClient, query: str, message: str
) -> None:
    status, html = _get(claire, query)
    assert status == 200
    assert message in html
    assert len(_names(html)) == 3  # nothing filtered out by a value that means nothing


def test_a_bad_filter_keeps_the_good_ones(claire: FlaskClient) -> None:
    status, html = _get(claire, "?phase=zzz&statut=termine")
    assert status == 200 and _names(html) == ["Noé Lefèvre"]
    assert "Filtre « Phase » ignoré" in html


def test_an_ended_bilan_shows_no_next_interview(claire: FlaskClient, caseload: Caseload) -> None:
    html = _get(claire, "?statut=termine")[1]
    row = html.split("Noé Lefèvre")[1].split("</tr>")[0]
    assert "17 mai 2031" not in row
    assert "bilan terminé ; suivi prévu le 17 novembre 2031" in row
    running = _get(claire, "?q=sacha")[1].split("Sacha Roux")[1].split("</tr>")[0]
    assert "17 mai 2031" in running  # a running bilan keeps it


def test_english_dashboard_filters(claire: FlaskClient) -> None:
    claire.post("/langue", data={"lang": "en", "next": "/conseil/"})
    html = _get(claire, "?phase=zzz")[1]
    assert "“Phase” filter ignored: this value is not in the list." in html
    assert "Name of the person" in html


def test_the_bilan_page_of_an_ended_bilan_offers_no_next_interview(
    claire: FlaskClient, caseload: Caseload
) -> None:
    ended = claire.get(f"/conseil/bilans/{caseload.ended}").get_data(as_text=True)
    assert "pas de prochain entretien du bilan ; suivi prévu le 17 novembre 2031" in ended
    assert 'name="next_interview_at"' not in ended
    running = claire.get(f"/conseil/bilans/{caseload.shared}").get_data(as_text=True)
    assert 'name="next_interview_at"' in running
