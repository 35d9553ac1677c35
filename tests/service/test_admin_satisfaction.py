"""Centre-level satisfaction statistics (/admin/satisfaction): numbers computed by hand
from known answers, small-number protection, no link to a person, access.

The centre's end-of-bilan surveys: six assigned, five completed (rate 5/6 = 83,3 %).

======  ==========  ==============  ========  ===============================
person  SAT01-14    SAT12, SAT13    SAT_RECO  SAT_PLUS_UTILE
======  ==========  ==============  ========  ===============================
1       4           4               10        "Zèbre : les enquêtes métier"
2       4           4               9         "Écoute attentive de ma conseillère"
3       3           3               7         "Beaucoup de clarté"
4       2           2               3         (blank: "   ")
5       4           (not answered)  8         (none)
======  ==========  ==============  ========  ===============================

- satisfaction_globale, organisation, accompagnement, outils, objectifs: each person's
  mean is their value, so the centre's mean is (4 + 4 + 3 + 2 + 4) / 5 = 3,4 (n = 5);
- synthese: answered by 4 people only: n = 4 < 5, the mean is not shown;
- recommandation: (10 + 9 + 7 + 3 + 8) / 5 = 7,4; promoters (9-10): 2/5 = 40 %;
  detractors (0-6): 1/5 = 20 %; balance +20 points;
- SAT14: "Très satisfaisant" 3 (60 %), "Plutôt satisfaisant" 1 (20 %), "Plutôt
  insatisfaisant" 1 (20 %), "Très insatisfaisant" 0 (0 %);
- free texts, alphabetically without regard to accents: Beaucoup, Écoute, Zèbre.

The 6-month follow-up: two surveys completed out of two (< 5): counts only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.service.conftest import World, helpers, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import complete

SAT = "satisfaction-fin-bilan"
SUIVI = "suivi-6-mois"
RATED = [f"SAT{i:02d}" for i in range(1, 15)]
FREE_SECRET = "TEXTE-DU-SUIVI-CONFIDENTIEL"

PEOPLE: list[tuple[int, bool, int, str | None]] = [
    # (value of SAT01-14, answered SAT12-13, SAT_RECO, SAT_PLUS_UTILE)
    (4, True, 10, "Zèbre : les enquêtes métier"),
    (4, True, 9, "Écoute attentive de ma conseillère"),
    (3, True, 7, "Beaucoup de clarté"),
    (2, True, 3, "   "),
    (4, False, 8, None),
]


def answers(value: int, synthesis: bool, reco: int, text: str | None) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(RATED, value)
    if not synthesis:
        del out["SAT12"], out["SAT13"]
    out["SAT_RECO"] = reco
    if text is not None:
        out["SAT_PLUS_UTILE"] = text
    return out


def new_bilan(
    app: Flask, centre_id: int, name: str, purposes: list[tuple[str, str | None]]
) -> list[int]:
    """A beneficiary and a bilan of ``centre_id`` with assignments ``(instrument, purpose)``."""
    from service.extensions import db
    from service.models import Assignment, Beneficiary, Bilan

    instruments = app.extensions["boussole.instruments"]
    with app.app_context(), db.standalone() as s:
        person = Beneficiary(centre_id=centre_id, first_name=name, last_name="Témoin")
        s.add(person)
        s.flush()
        bilan = Bilan(centre_id=centre_id, beneficiary_id=person.id, status="termine")
        s.add(bilan)
        s.flush()
        ids = []
        for iid, purpose in purposes:
            a = Assignment(
                bilan_id=bilan.id,
                instrument_id=iid,
                instrument_version=instruments[iid].version,
                purpose=purpose,
            )
            s.add(a)
            s.flush()
            ids.append(a.id)
        return ids


@pytest.fixture
def surveys(db_app: Flask, world: World) -> World:
    for k, (value, synthesis, reco, text) in enumerate(PEOPLE):
        (aid,) = new_bilan(db_app, world.centre, f"Personne{k}", [(SAT, "end")])
        complete(db_app, aid, answers(value, synthesis, reco, text))
    new_bilan(db_app, world.centre, "Personne5", [(SAT, "end")])  # assigned, not answered
    # assigned by a counsellor (not the end-of-bilan survey): not counted
    (manual,) = new_bilan(db_app, world.centre, "Personne6", [(SAT, None)])
    complete(db_app, manual, answers(1, True, 0, "MANUEL-NON-COMPTE"))
    # follow-up: two people answered both questionnaires
    for k in range(2):
        suivi, sat = new_bilan(
            db_app, world.centre, f"Suivi{k}", [(SUIVI, "followup"), (SAT, "followup")]
        )
        complete(db_app, suivi, {"SUI_SATISFACTION": 4, "SUI_COMMENTAIRE": FREE_SECRET})
        complete(db_app, sat, answers(4, True, 10, FREE_SECRET))
    return world


def other_centre(app: Flask) -> None:
    """Another centre with its admin and one completed end survey."""
    centre_id = helpers.other_centre(app, staff=(("admin2@test.fr", "admin"),)).centre
    (aid,) = new_bilan(app, centre_id, "Ailleurs", [(SAT, "end")])
    complete(app, aid, answers(1, True, 0, "AUTRE-CENTRE"))


@pytest.fixture
def admin(db_app: Flask, world: World) -> FlaskClient:
    client = db_app.test_client()
    sign_in_staff(client, "admin@test.fr")
    return client


def section(html: str, title: str) -> str:
    """The part of the page under the heading that starts with ``title``."""
    start = html.index(f">{title}")
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_statistics_are_computed_from_the_answers(
    db_app: Flask, surveys: World, admin: FlaskClient
) -> None:
    other_centre(db_app)
    response = admin.get("/admin/satisfaction")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    end = section(html, "Fin de bilan (à chaud) — Satisfaction de fin de bilan")
    assert "Questionnaires remplis : 5 sur 6 (83,3\u00a0%)" in end
    means = [
        ("Satisfaction globale", "3,4"),
        ("Organisation", "3,4"),
        ("Accompagnement", "3,4"),
        ("Questionnaires et outils", "3,4"),
        ("Atteinte des objectifs", "3,4"),
        ("Recommandation", "7,4"),
    ]
    for name, mean in means:
        assert (
            f'<th scope="row">{name}</th><td class="num">{mean}</td><td class="num">5</td>' in end
        )
    # synthese: 4 answers only, no mean
    assert (
        '<th scope="row">Document de synthèse</th><td class="num"><span class="muted">'
        'non affichée (moins de 5 réponses)</span></td><td class="num">4</td>'
    ) in end
    for label, count, share in (
        ("Très insatisfaisant", 0, "0"),
        ("Plutôt insatisfaisant", 1, "20"),
        ("Plutôt satisfaisant", 1, "20"),
        ("Très satisfaisant", 3, "60"),
    ):
        assert (
            f'<th scope="row">{label}</th><td class="num">{count}</td>'
            f'<td class="num">{share}\u00a0%</td>'
        ) in end
    assert "(n = 5)" in end
    assert "40\u00a0% de promoteurs" in end and "20\u00a0% de détracteurs" in end
    assert "solde de +20 points" in end
    texts = [
        "Beaucoup de clarté",
        "Écoute attentive de ma conseillère",
        "Zèbre : les enquêtes métier",
    ]
    positions = [end.index(t) for t in texts]
    assert positions == sorted(positions)  # alphabetical, not in the order of the people
    assert "MANUEL-NON-COMPTE" not in html and "AUTRE-CENTRE" not in html


def test_fewer_than_five_responses_show_counts_only(
    db_app: Flask, surveys: World, admin: FlaskClient
) -> None:
    html = admin.get("/admin/satisfaction").get_data(as_text=True)
    suivi = section(html, "Suivi à 6 mois (à froid) — Suivi à 6 mois")
    sat = section(html, "Suivi à 6 mois (à froid) — Satisfaction de fin de bilan")
    for part in (suivi, sat):
        assert "Questionnaires remplis : 2 sur 2 (100\u00a0%)" in part
        assert "Moins de 5 réponses" in part
        assert "Moyenne par échelle" not in part and "Répartition" not in part
    assert FREE_SECRET not in html
    assert "Satisfaction à froid" not in html  # a scale of the follow-up: not shown
    csv_text = admin.get("/admin/satisfaction.csv").get_data().decode("utf-8-sig")
    assert FREE_SECRET not in csv_text


def test_the_page_names_nobody_and_no_bilan(
    db_app: Flask, surveys: World, admin: FlaskClient
) -> None:
    from service.extensions import db
    from service.models import Assignment

    html = admin.get("/admin/satisfaction").get_data(as_text=True)
    for name in ("Personne", "Témoin", "Suivi0", "Camille", "Martin"):
        assert name not in html
    assert "/conseil/" not in html and "bilans/" not in html and "questionnaires/" not in html
    with db_app.app_context(), db.standalone() as s:
        done = [
            a.completed_at for a in s.query(Assignment).filter(Assignment.completed_at.isnot(None))
        ]
    from service.dates import format_day, format_month

    with db_app.test_request_context():
        days = {format_day(d) for d in done if d is not None}
        month = format_month(done[0])
    assert days and not any(day in html for day in days)  # no date finer than the month
    assert f"Réponses reçues : {month}." in html


def test_csv_export_of_the_aggregate_table(
    db_app: Flask, surveys: World, admin: FlaskClient
) -> None:
    response = admin.get("/admin/satisfaction.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    end = [r for r in rows if r["Moment"] == "Fin de bilan (à chaud)"]
    values = {r["Indicateur"]: (r["Valeur"], r["n"], r["Remarque"]) for r in end}
    assert values["Questionnaires assignés"][0] == "6"
    assert values["Questionnaires remplis"][0] == "5"
    assert values["Taux de réponse (%)"][0] == "83,3"
    assert values["Moyenne : Satisfaction globale"] == ("3,4", "5", "")
    assert values["Moyenne : Recommandation"] == ("7,4", "5", "")
    assert values["Moyenne : Document de synthèse"] == (
        "",
        "4",
        "moins de 5 réponses : non calculé",
    )
    followup = [r for r in rows if r["Moment"] == "Suivi à 6 mois (à froid)"]
    assert {r["Indicateur"] for r in followup} >= {"Questionnaires remplis", "Moyennes par échelle"}
    assert not any(r["Indicateur"].startswith("Moyenne :") for r in followup)
    for name in ("Personne", "Zèbre", "Beaucoup"):
        assert name not in response.get_data().decode("utf-8-sig")


def test_each_admin_sees_only_their_centre(db_app: Flask, surveys: World) -> None:
    other_centre(db_app)
    admin2 = db_app.test_client()
    sign_in_staff(admin2, "admin2@test.fr")
    html = admin2.get("/admin/satisfaction").get_data(as_text=True)
    assert "Questionnaires remplis : 1 sur 1" in html
    assert "Zèbre" not in html and "AUTRE-CENTRE" not in html  # below 5: no text at all


def test_empty_centre_page(db_app: Flask, world: World, admin: FlaskClient) -> None:
    html = admin.get("/admin/satisfaction").get_data(as_text=True)
    assert "Aucun questionnaire de satisfaction n’a encore été assigné." in html
    index = admin.get("/admin/")
    assert index.status_code == 200
    assert 'href="/admin/satisfaction"' in index.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/", "/admin/satisfaction", "/admin/satisfaction.csv"])
def test_only_centre_admins_get_in(db_app: Flask, surveys: World, url: str) -> None:
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, surveys.beneficiary)
    assert claire.get(url).status_code == 403
    assert person.get(url).status_code == 403
    anonymous = db_app.test_client().get(url)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
