"""The results side of the API (issue 14): the person's per-recipient agreement (their page
/espace/bilans/<id>/partage-resultats, the rule access.can_read_results_by_token), and the
routes that need it: the bilan's scored questionnaires, one questionnaire's scores and
profile, its pistes (métiers matches), the bilan's gap analysis. Who can and cannot read
them, golden values by hand, the audit rows with the token as actor."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.service.conftest import World, helpers
from tests.service.test_api import assert_problem, bearer, make_token
from tests.service.test_counsellor import BFI, RIASEC, VALUES, complete, set_values

RESULTS = ("results:read",)


def token_id(app: Flask, raw: str) -> int:
    from service.extensions import db
    from service.features.api import tokens

    with app.app_context(), db.standalone() as s:
        found = tokens.find_token(s, raw)
        assert found is not None
        return found.id


def decide(client: FlaskClient, bilan_id: int, token: int, decision: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/espace/bilans/{bilan_id}/partage-resultats",
        data={"token": str(token), "decision": decision},
    )


def sharing_rows(app: Flask) -> list[tuple[int, str, str]]:
    from service.extensions import db
    from service.models import ResultsSharing

    with app.app_context(), db.standalone() as s:
        return [
            (r.api_token_id, r.recipient_name, r.decision)
            for r in s.scalars(select(ResultsSharing).order_by(ResultsSharing.id))
        ]


def audit_rows(app: Flask) -> list[tuple[str, str, int | None, int | None]]:
    from service.extensions import db
    from service.models import AuditEvent

    with app.app_context(), db.standalone() as s:
        return [
            (e.actor, e.action, e.bilan_id, e.assignment_id)
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


@pytest.fixture
def done(db_app: Flask, world: World) -> World:
    """Camille's three questionnaires completed and released to her."""
    from service.models import Assignment

    for iid in (BFI, RIASEC, VALUES):
        complete(db_app, world.assignments[iid])
        set_values(db_app, Assignment, world.assignments[iid], show_results_now=True)
    return world


@pytest.fixture
def agreed(db_app: Flask, done: World, camille: FlaskClient) -> tuple[str, int]:
    """A results:read token of Camille's centre, to which Camille agreed on her page."""
    raw = make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ")
    tid = token_id(db_app, raw)
    response = decide(camille, done.bilan, tid, "accept")
    assert response.status_code == 302
    return raw, tid


def _urls(world: World) -> list[str]:
    return [
        f"/api/v1/bilans/{world.bilan}/results",
        f"/api/v1/assignments/{world.assignments[BFI]}/scores",
        f"/api/v1/assignments/{world.assignments[RIASEC]}/pistes",
        f"/api/v1/bilans/{world.bilan}/gap",
    ]


# --- the person's page ------------------------------------------------------------------


def test_the_page_lists_the_centre_s_results_tokens_by_name(
    db_app: Flask, done: World, camille: FlaskClient
) -> None:
    make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ")
    make_token(db_app, done.centre, ("bilans:write",), name="Agenda sans résultats")
    revoked = make_token(db_app, done.centre, RESULTS, name="Ancien logiciel")
    from service.extensions import db
    from service.features.api import tokens

    with db_app.app_context(), db.standalone() as s:
        old = tokens.find_token(s, revoked)
        assert old is not None
        tokens.revoke(old)
    other = helpers.other_centre(db_app)
    make_token(db_app, other.centre, RESULTS, name="Logiciel d’un autre centre")
    home = camille.get("/espace/").get_data(as_text=True)
    assert "1 logiciel du centre demande à recevoir vos résultats" in home
    assert f"/espace/bilans/{done.bilan}/partage-resultats" in home
    page = camille.get(f"/espace/bilans/{done.bilan}/partage-resultats")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "« Logiciel XYZ », logiciel du centre, demande à recevoir vos résultats : scores,"
        " profils, rapport, synthèse approuvée." in html
    )
    assert "Vous n’avez pas encore décidé." in html
    assert ">Accepter<" in html and ">Refuser<" in html
    for absent in ("Agenda sans résultats", "Ancien logiciel", "Logiciel d’un autre centre"):
        assert absent not in html


def test_no_token_no_link_and_an_empty_page(
    db_app: Flask, done: World, camille: FlaskClient
) -> None:
    assert "partage-resultats" not in camille.get("/espace/").get_data(as_text=True)
    page = camille.get(f"/espace/bilans/{done.bilan}/partage-resultats").get_data(as_text=True)
    assert "Aucun logiciel du centre ne demande vos résultats pour l’instant." in page


def test_accept_withdraw_refuse_are_recorded_and_audited(
    db_app: Flask, done: World, camille: FlaskClient
) -> None:
    raw = make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ")
    tid = token_id(db_app, raw)
    url = f"/espace/bilans/{done.bilan}/partage-resultats"
    response = decide(camille, done.bilan, tid, "accept")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = camille.get(url).get_data(as_text=True)
    assert "Votre accord est enregistré : Logiciel XYZ peut recevoir vos résultats." in page
    assert "Vous avez donné votre accord le" in page and ">Retirer mon accord<" in page
    assert decide(camille, done.bilan, tid, "accept").status_code == 302  # nothing new
    assert decide(camille, done.bilan, tid, "withdraw").status_code == 302
    page = camille.get(url).get_data(as_text=True)
    assert "Votre accord est retiré : Logiciel XYZ ne reçoit plus vos résultats." in page
    assert "Vous avez retiré votre accord le" in page
    # Withdrawing twice is refused in words; a made-up token or decision too.
    again = decide(camille, done.bilan, tid, "withdraw")
    assert again.status_code == 422
    assert "Vous n’avez pas donné votre accord à ce logiciel." in again.get_data(as_text=True)
    assert decide(camille, done.bilan, 99999, "accept").status_code == 422
    assert decide(camille, done.bilan, tid, "peut-etre").status_code == 422
    assert decide(camille, done.bilan, tid, "accept").status_code == 302
    assert decide(camille, done.bilan, tid, "refuse").status_code == 302  # = withdraw
    assert sharing_rows(db_app) == [
        (tid, "Logiciel XYZ", "accepted"),
        (tid, "Logiciel XYZ", "withdrawn"),
        (tid, "Logiciel XYZ", "accepted"),
        (tid, "Logiciel XYZ", "withdrawn"),
    ]
    actor = f"beneficiary:{done.beneficiary}"
    decisions = [(a, act) for a, act, b, _x in audit_rows(db_app) if b == done.bilan]
    assert decisions == [
        (actor, "results_sharing_accepted"),
        (actor, "results_sharing_withdrawn"),
        (actor, "results_sharing_accepted"),
        (actor, "results_sharing_withdrawn"),
    ]


def test_a_first_refusal_is_recorded(db_app: Flask, done: World, camille: FlaskClient) -> None:
    tid = token_id(db_app, make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ"))
    assert decide(camille, done.bilan, tid, "refuse").status_code == 302
    page = camille.get(f"/espace/bilans/{done.bilan}/partage-resultats").get_data(as_text=True)
    assert "Vous avez refusé le" in page and ">Refuser<" not in page and ">Accepter<" in page
    assert sharing_rows(db_app) == [(tid, "Logiciel XYZ", "refused")]


def test_staff_and_others_cannot_decide_for_the_person(
    db_app: Flask, done: World, claire: FlaskClient
) -> None:
    tid = token_id(db_app, make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ"))
    url = f"/espace/bilans/{done.bilan}/partage-resultats"
    admin = db_app.test_client()
    helpers.sign_in_staff(admin, "admin@test.fr")
    dominique = db_app.test_client()
    helpers.sign_in_beneficiary(dominique, db_app, done.other_beneficiary)
    for client in (claire, admin):
        assert client.get(url).status_code == 403
        assert decide(client, done.bilan, tid, "accept").status_code == 403
    assert dominique.get(url).status_code == 404
    assert decide(dominique, done.bilan, tid, "accept").status_code == 404
    anonymous = db_app.test_client().post(url, data={"token": str(tid), "decision": "accept"})
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    assert sharing_rows(db_app) == []


def test_the_page_checks_csrf(csrf_app: Flask, done: World) -> None:
    import re

    tid = token_id(csrf_app, make_token(csrf_app, done.centre, RESULTS, name="Logiciel XYZ"))
    client = csrf_app.test_client()
    helpers.sign_in_beneficiary(client, csrf_app, done.beneficiary)
    url = f"/espace/bilans/{done.bilan}/partage-resultats"
    forged = client.post(url, data={"token": str(tid), "decision": "accept"})
    assert forged.status_code == 400
    assert sharing_rows(csrf_app) == []
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found is not None
    data = {"csrf_token": found.group(1), "token": str(tid), "decision": "accept"}
    assert client.post(url, data=data).status_code == 302
    assert sharing_rows(csrf_app) == [(tid, "Logiciel XYZ", "accepted")]
