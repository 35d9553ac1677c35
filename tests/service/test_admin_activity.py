"""The centre's activity page: bilans by status and by counsellor, hours per month,
questionnaire completion rates; for the centre's admins only, counting nothing of another
centre."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.dates import paris_today
from service.models import utcnow
from service.models.states import BilanStatus
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import BFI, complete


def _cell_row(html: str, header: str, section: str | None = None) -> list[str]:
    """The cells of the table row whose header is ``header`` (tags stripped), in the
    page's ``section`` (the id of its heading) if given."""
    if section is not None:
        html = html.split(f'id="{section}"')[1].split("</section>")[0]
    pattern = rf'<th scope="row">{re.escape(header)}(?:\s*<span[^<]*</span>)?</th>(.*?)</tr>'
    match = re.search(pattern, html, re.S)
    assert match is not None, header
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


@pytest.fixture
def activity_world(db_app: Flask, world: World) -> World:
    """The world, plus: Camille's BFI completed, an interview of 90 min and 45 min of
    personal work this month in the centre; another centre with its own bilans, interview,
    work and questionnaires (none of which may be counted)."""
    from service.extensions import db
    from service.models import (
        Assignment,
        Beneficiary,
        Bilan,
        Centre,
        Interview,
        PersonalWork,
        StaffUser,
    )

    complete(db_app, world.assignments[BFI])
    instruments = db_app.extensions["boussole.instruments"]
    now = utcnow()
    with db_app.app_context(), db.standalone() as s:
        s.add(Interview(bilan_id=world.bilan, held_at=now, minutes=90, mode="presentiel"))
        s.add(PersonalWork(bilan_id=world.bilan, done_on=paris_today(), minutes=45, kind="autre"))
        other = Centre(name="Autre centre")
        s.add(other)
        s.flush()
        counsellor = StaffUser(
            centre_id=other.id,
            email="z@autre.fr",
            name="Zoé Autre",
            role="counsellor",
            password_hash="x",
        )
        s.add(counsellor)
        for k in range(3):
            person = Beneficiary(centre_id=other.id, first_name="X", last_name=str(k))
            s.add(person)
            s.flush()
            bilan = Bilan(centre_id=other.id, beneficiary_id=person.id, status=BilanStatus.CLOS)
            bilan.counsellors.append(counsellor)
            s.add(bilan)
            s.flush()
            s.add(Interview(bilan_id=bilan.id, held_at=now, minutes=600, mode="distanciel"))
            s.add(PersonalWork(bilan_id=bilan.id, done_on=paris_today(), minutes=600, kind="autre"))
            s.add(
                Assignment(
                    bilan_id=bilan.id,
                    instrument_id=BFI,
                    instrument_version=instruments[BFI].version,
                )
            )
    return world


@pytest.fixture
def admin(db_app: Flask, activity_world: World) -> FlaskClient:
    client = db_app.test_client()
    sign_in_staff(client, "admin@test.fr")
    return client


def test_the_admin_sees_the_centres_activity_only(admin: FlaskClient, db_app: Flask) -> None:
    response = admin.get("/admin/activite")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 bilans au total, dont 2 en cours." in html
    assert _cell_row(html, "Phase préliminaire", "par-statut") == ["2"]
    assert _cell_row(html, "Clos", "par-statut") == ["0"]  # the other centre's three closed bilans
    assert _cell_row(html, "claire") == ["1", "0", "0", "1"]
    assert _cell_row(html, "paul") == ["1", "0", "0", "1"]
    assert "Zoé Autre" not in html
    assert _cell_row(html, "Total", "heures") == [
        "1\u00a0h\u00a030",
        "45\u00a0min",
        "2\u00a0h\u00a015",
    ]
    name = db_app.extensions["boussole.instruments"][BFI].name.fr
    assert _cell_row(html, name) == ["2", "1", "50\u00a0%"]  # not 5 assigned, 20 %


def test_months_are_named_and_the_page_is_reachable_from_the_admin_home(
    admin: FlaskClient,
) -> None:
    home = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/activite"' in home
    html = admin.get("/admin/activite").get_data(as_text=True)
    rows = re.findall(r"<tr><th scope=\"row\">(\w+ \d{4})</th>", html)
    assert len(rows) == 12 and len(set(rows)) == 12
    assert "sur les 12 derniers mois" in html


def test_counsellors_beneficiaries_and_visitors_are_refused(
    db_app: Flask, activity_world: World
) -> None:
    counsellor = db_app.test_client()
    sign_in_staff(counsellor, "claire@test.fr")
    assert counsellor.get("/admin/activite").status_code == 403
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, activity_world.beneficiary)
    assert person.get("/admin/activite").status_code == 403
    visitor = db_app.test_client().get("/admin/activite")
    assert visitor.status_code == 302 and "/connexion" in visitor.headers["Location"]


def test_a_bilan_followed_by_nobody_is_announced(db_app: Flask, admin: FlaskClient) -> None:
    from service.extensions import db
    from service.models import Beneficiary, Bilan

    with db_app.app_context(), db.standalone() as s:
        person = Beneficiary(centre_id=1, first_name="Y", last_name="Z")
        s.add(person)
        s.flush()
        s.add(Bilan(centre_id=1, beneficiary_id=person.id, status=BilanStatus.TERMINE))
    html = admin.get("/admin/activite").get_data(as_text=True)
    assert "1 bilan n’est suivi par personne" in html
    assert "3 bilans au total, dont 2 en cours." in html


def test_the_activity_page_in_english(admin: FlaskClient) -> None:
    admin.post("/langue", data={"lang": "en", "next": "/admin/activite"})
    html = admin.get("/admin/activite").get_data(as_text=True)
    assert "Centre activity" in html and "2 assessments in all, 2 of them running." in html
    assert re.search(r"<th scope=\"row\">[A-Z][a-z]+ \d{4}</th>", html)


def test_hours_of_a_month_long_ago_are_left_out(db_app: Flask, admin: FlaskClient) -> None:
    from service.extensions import db
    from service.models import Interview

    with db_app.app_context(), db.standalone() as s:
        s.add(
            Interview(
                bilan_id=1, held_at=utcnow() - dt.timedelta(days=400), minutes=300, mode="hybride"
            )
        )
    html = admin.get("/admin/activite").get_data(as_text=True)
    assert _cell_row(html, "Total", "heures")[0] == "1\u00a0h\u00a030"


def test_large_durations_are_written_with_babel(db_app: Flask) -> None:
    from flask_babel import force_locale

    from service.features.admin.activity import format_minutes

    with db_app.test_request_context(), force_locale("fr"):
        assert format_minutes(1234 * 60 + 5) == "1\u202f234\u00a0h\u00a005"
        assert format_minutes(45) == "45\u00a0min" and format_minutes(0) == "0\u00a0h"
    with db_app.test_request_context(), force_locale("en"):
        assert format_minutes(1234 * 60) == "1,234\u00a0h"
