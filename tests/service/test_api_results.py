"""The results side of the API (issue 14): the person's per-recipient agreement (their page
/espace/bilans/<id>/partage-resultats, the rule access.can_read_results_by_token), and the
routes that need it: the bilan's scored questionnaires, one questionnaire's scores and
profile, its pistes (métiers matches), the bilan's gap analysis. Who can and cannot read
them, golden values by hand, the audit rows with the token as actor."""

from __future__ import annotations

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


# --- the routes: golden values ------------------------------------------------------------


def test_scores_of_the_interests_questionnaire_golden_by_hand(
    db_app: Flask, done: World, agreed: tuple[str, int], claire: FlaskClient
) -> None:
    """answers_for's RIASEC: every S item 4, A 3, I 2, E and C 1, R 0 on ten items each, so
    the sums are S 40, A 30, I 20, E 10, C 10, R 0 and the means 4, 3, 2, 1, 1, 0; the
    bands are on the mean (below 1.5 low, from 2.5 high); the Holland code is SAI."""
    raw, tid = agreed
    aid = done.assignments[RIASEC]
    response = db_app.test_client().get(f"/api/v1/assignments/{aid}/scores", headers=bearer(raw))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["assignment_id"], body["bilan_id"]) == (aid, done.bilan)
    assert (body["instrument_id"], body["instrument_version"]) == ("riasec-60", "1.0.0")
    assert body["instrument_key"] == "riasec-60@1.0.0"
    assert (body["norm_version"], body["normed"], body["norm_group"]) == (None, False, None)
    assert body["holland_code"] == "SAI"
    by_id = {s["id"]: s for s in body["scales"]}
    golden = {
        "realiste": (0, 0.0, "low", "Peu d’attrait", "Little appeal"),
        "investigateur": (20, 2.0, "moderate", "Attrait modéré", "Moderate appeal"),
        "artistique": (30, 3.0, "high", "Attrait marqué", "Strong appeal"),
        "social": (40, 4.0, "high", "Attrait marqué", "Strong appeal"),
        "entreprenant": (10, 1.0, "low", "Peu d’attrait", "Little appeal"),
        "conventionnel": (10, 1.0, "low", "Peu d’attrait", "Little appeal"),
    }
    for sid, (total, mean, code, fr, en) in golden.items():
        scale = by_id[sid]
        assert (scale["raw"], scale["mean"], scale["answered"], scale["n_items"]) == (
            total,
            mean,
            10,
            10,
        )
        assert scale["band"] == {"code": code, "label": {"fr": fr, "en": en}, "metric": "mean"}
        assert scale["t"] is None and scale["percentile"] is None  # no norms yet
        assert scale["range"] == [0.0, 40.0]
    assert [(r["letter"], r["score"]) for r in body["riasec"]] == [
        ("R", 0.0),
        ("I", 20.0),
        ("A", 30.0),
        ("S", 40.0),
        ("E", 10.0),
        ("C", 10.0),
    ]
    # The stored ScoreRecord, untouched.
    from service.extensions import db
    from service.models import ScoreRecord

    with db_app.app_context(), db.standalone() as s:
        record = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).one()
        assert body["stored"] == record.scores
        assert record.scores["social.mean"] == 4.0 and record.scores["riasec.code"] == "SAI"
    # The same numbers as the counsellor's profile page.
    page = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    assert "SAI" in page and "Attrait marqué" in page
    actor = f"api:{tid}:Logiciel XYZ"
    assert (actor, "api_view_scores", done.bilan, aid) in audit_rows(db_app)


def test_scores_with_norms_golden_t_score_and_band(
    db_app: Flask, done: World, agreed: tuple[str, int], claire: FlaskClient
) -> None:
    """The BFI's agreeableness, normed: T = 50 + 10 (mean − M) / SD with the shipped norms'
    M and SD of all adults (no gender nor age given), with its 90 % band around it."""
    import json
    from pathlib import Path

    raw, _tid = agreed
    aid = done.assignments[BFI]
    body = db_app.test_client().get(f"/api/v1/assignments/{aid}/scores", headers=bearer(raw))
    data = body.get_json()
    norms = json.loads(
        (Path(__file__).parents[2] / "instruments/builtin/ipip-bfi-25.norms.json").read_text()
    )
    everyone = next(g for g in norms["groups"] if g["key"] == {})
    assert data["norm_version"] == norms["norm_version"] == "2026.11-bfi-adults"
    assert data["normed"] is True
    assert data["norm_group"]["fr"] == "adultes, tous âges et sexes confondus"
    assert data["norm_group"]["en"] == "adults, all ages and sexes"
    assert data["confidence"] == 0.9
    scale = next(s for s in data["scales"] if s["id"] == "agreeableness")
    m, sd = everyone["scales"]["agreeableness"]["mean"], everyone["scales"]["agreeableness"]["sd"]
    assert scale["raw"] == 20.0 and scale["mean"] == 4.0  # five items, sum 20
    assert scale["t"] == pytest.approx(50 + 10 * (4.0 - m) / sd)  # 42.16
    assert round(scale["t"]) == 42
    assert scale["t_low"] < scale["t"] < scale["t_high"]
    assert scale["percentile_low"] < scale["percentile"] < scale["percentile_high"]
    assert scale["band"]["code"] == "low"
    assert scale["band"]["label"] == {"fr": "Plutôt bas", "en": "Rather low"}
    # The counsellor's page prints the same T score and band ("42 (33–51)").
    page = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    t_text = f"{round(scale['t'])} ({round(scale['t_low'])}–{round(scale['t_high'])})"
    assert t_text in page and "Plutôt bas" in page


def test_flags_in_words_and_a_flat_profile_gives_no_pistes(
    db_app: Flask, world: World, camille: FlaskClient
) -> None:
    """Every RIASEC answer 2: the same answer everywhere (a validity flag in fr and en) and a
    flat profile, so no ranking of the métiers, with the reason."""
    from service.models import Assignment

    aid = world.assignments[RIASEC]
    inst = db_app.extensions["boussole.instruments"][RIASEC]
    complete(db_app, aid, {item.id: 2 for item in inst.numeric_items})
    set_values(db_app, Assignment, aid, show_results_now=True)
    raw = make_token(db_app, world.centre, RESULTS, name="Logiciel XYZ")
    assert decide(camille, world.bilan, token_id(db_app, raw), "accept").status_code == 302
    client = db_app.test_client()
    scores = client.get(f"/api/v1/assignments/{aid}/scores", headers=bearer(raw)).get_json()
    assert scores["flags"], scores
    for flag in scores["flags"]:
        assert flag["key"] and flag["message"]["fr"] and flag["message"]["en"]
        assert flag["message"]["fr"] != flag["message"]["en"]
        assert flag["plain"]["fr"]
    pistes = client.get(f"/api/v1/assignments/{aid}/pistes", headers=bearer(raw))
    assert pistes.status_code == 200
    body = pistes.get_json()
    assert (body["status"], body["data"], body["total"], body["next_cursor"]) == (
        "flat",
        [],
        0,
        None,
    )
    assert body["explanation"]["fr"].startswith("Aucun type d’intérêts ne se détache nettement")
    assert body["explanation"]["en"] and body["explanation"]["en"] != body["explanation"]["fr"]


def test_pistes_are_the_pages_ranking_paged_by_cursor(
    rome_app: Flask, done: World, agreed: tuple[str, int], claire: FlaskClient
) -> None:
    from service.extensions import db
    from service.features.metiers import matches
    from service.models import Assignment, ScoreRecord

    raw, tid = agreed
    aid = done.assignments[RIASEC]
    with rome_app.test_request_context(), db.standalone() as s:
        a = s.get(Assignment, aid)
        assert a is not None
        record = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).one()
        inst = rome_app.extensions["boussole.instruments"][RIASEC]
        expected = matches.pistes(s, inst, record.scores, limit=0)
    assert expected.status == "ok" and expected.total >= 2
    client = rome_app.test_client()
    url = f"/api/v1/assignments/{aid}/pistes"
    got, cursor = [], None
    while True:
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, query_string=query, headers=bearer(raw))
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        assert page["status"] == "ok" and page["person_code"] == "SAI"
        assert page["total"] == expected.total and page["explanation"] is None
        got += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(p["code_rome"], p["rank"], p["tied"]) for p in got] == [
        (p.code_rome, p.rank, p.tied) for p in expected.rows
    ]
    assert got[0]["index"] == pytest.approx(float(expected.rows[0].index))
    # The counsellor's page ranks the same fiches in the same order.
    html = claire.get(f"/conseil/questionnaires/{aid}/pistes").get_data(as_text=True)
    positions = [html.index(f"({p['code_rome']})") for p in got]
    assert positions == sorted(positions)
    bad = client.get(url, query_string={"cursor": "pas-un-curseur"}, headers=bearer(raw))
    assert_problem(bad, 400, "cursor")
    assert_problem(client.get(url, query_string={"limit": 0}, headers=bearer(raw)), 422, "limit")
    actions = [r for r in audit_rows(rome_app) if r[1] == "api_view_pistes"]
    assert actions and all(
        r == (f"api:{tid}:Logiciel XYZ", "api_view_pistes", done.bilan, aid) for r in actions
    )


def test_pistes_of_a_questionnaire_without_riasec_profile_is_a_404(
    db_app: Flask, done: World, agreed: tuple[str, int]
) -> None:
    raw, _tid = agreed
    url = f"/api/v1/assignments/{done.assignments[BFI]}/pistes"
    assert_problem(db_app.test_client().get(url, headers=bearer(raw)), 404, "assignment_id")


def test_the_results_list_and_the_release_gate(
    db_app: Flask, world: World, camille: FlaskClient
) -> None:
    from service.models import Assignment

    complete(db_app, world.assignments[RIASEC])  # completed, not released to Camille
    complete(db_app, world.assignments[BFI])
    set_values(db_app, Assignment, world.assignments[BFI], show_results_now=True)
    raw = make_token(db_app, world.centre, RESULTS, name="Logiciel XYZ")
    tid = token_id(db_app, raw)
    assert decide(camille, world.bilan, tid, "accept").status_code == 302
    client = db_app.test_client()
    listing = client.get(f"/api/v1/bilans/{world.bilan}/results", headers=bearer(raw))
    assert listing.status_code == 200 and listing.headers.get("ETag")
    rows = {r["assignment_id"]: r for r in listing.get_json()["data"]}
    assert set(rows) == {world.assignments[RIASEC], world.assignments[BFI]}  # values: not done
    assert rows[world.assignments[RIASEC]]["released"] is False
    assert rows[world.assignments[BFI]]["released"] is True
    assert rows[world.assignments[BFI]]["norm_version"] == "2026.11-bfi-adults"
    assert rows[world.assignments[BFI]]["instrument_version"] == "1.0.0"
    assert rows[world.assignments[BFI]]["completed_at"]
    unreleased = f"/api/v1/assignments/{world.assignments[RIASEC]}/scores"
    assert_problem(client.get(unreleased, headers=bearer(raw)), 409, "assignment_id")
    not_done = f"/api/v1/assignments/{world.assignments[VALUES]}/scores"
    assert_problem(client.get(not_done, headers=bearer(raw)), 404, "assignment_id")
    assert (f"api:{tid}:Logiciel XYZ", "api_list_results", world.bilan, None) in audit_rows(db_app)


def test_the_gap_analysis_golden(db_app: Flask, world: World, camille: FlaskClient) -> None:
    """test_portfolio's hand-made fiche: five competences required, 901 held (4), 902 to
    develop (2), 903 missing; 950 held (3), 951 missing: 2 held of 5 = 0.4."""
    from tests.service.test_portfolio import _fiche, _portfolio

    _fiche(db_app)
    target_id = _portfolio(db_app, world)
    raw = make_token(db_app, world.centre, RESULTS, name="Logiciel XYZ")
    tid = token_id(db_app, raw)
    assert decide(camille, world.bilan, tid, "accept").status_code == 302
    response = db_app.test_client().get(f"/api/v1/bilans/{world.bilan}/gap", headers=bearer(raw))
    assert response.status_code == 200, response.get_data(as_text=True)
    (target,) = response.get_json()["data"]
    assert (target["target_id"], target["code_rome"], target["fiche_label"]) == (
        target_id,
        "Z9901",
        "Métier d’essai",
    )
    assert (target["required"], target["held"], target["share"]) == (5, 2, 0.4)
    sf, se = target["sections"]
    assert (sf["kind"], se["kind"]) == ("savoir_faire", "savoir_etre")
    assert [
        (g["macro_label"], [(i["code_ogr"], i["status"], i["rating"]) for i in g["items"]])
        for g in sf["groups"]
    ] == [
        ("Macro A", [(902, "develop", 2), (901, "held", 4)]),
        ("Macro B", [(903, "missing", None)]),
    ]
    assert sorted((i["code_ogr"], i["status"]) for g in se["groups"] for i in g["items"]) == [
        (950, "held"),
        (951, "missing"),
    ]
    assert target["changes"] == []
    assert (f"api:{tid}:Logiciel XYZ", "api_view_gap", world.bilan, None) in audit_rows(db_app)


# --- who can and cannot ---------------------------------------------------------------------


def _all_404(app: Flask, world: World, raw: str) -> None:
    client = app.test_client()
    for url in _urls(world):
        field = "bilan_id" if "/bilans/" in url else "assignment_id"
        body = assert_problem(client.get(url, headers=bearer(raw)), 404, field)
        assert "accessible" in body["detail_fr"]


def _all_200(app: Flask, world: World, raw: str) -> None:
    client = app.test_client()
    for url in _urls(world):
        assert client.get(url, headers=bearer(raw)).status_code == 200, url


def test_without_an_agreement_everything_is_a_404(db_app: Flask, done: World) -> None:
    raw = make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ")
    _all_404(db_app, done, raw)
    # ...exactly as for a bilan or a questionnaire that does not exist.
    client = db_app.test_client()
    assert_problem(client.get("/api/v1/bilans/99999/results", headers=bearer(raw)), 404)
    assert_problem(client.get("/api/v1/assignments/99999/scores", headers=bearer(raw)), 404)
    assert [r for r in audit_rows(db_app) if r[0].startswith("api:")] == []


def test_an_agreement_is_for_one_token_only(
    db_app: Flask, done: World, agreed: tuple[str, int]
) -> None:
    raw, _tid = agreed
    _all_200(db_app, done, raw)
    same_centre = make_token(db_app, done.centre, RESULTS, name="Autre logiciel")
    _all_404(db_app, done, same_centre)


def test_a_withdrawn_agreement_stops_at_once(
    db_app: Flask, done: World, agreed: tuple[str, int], camille: FlaskClient
) -> None:
    raw, tid = agreed
    _all_200(db_app, done, raw)
    assert decide(camille, done.bilan, tid, "withdraw").status_code == 302
    _all_404(db_app, done, raw)


def test_another_centre_s_token_reads_nothing(db_app: Flask, done: World) -> None:
    other = helpers.other_centre(db_app, beneficiary=True)
    raw = make_token(db_app, other.centre, RESULTS, name="Logiciel XYZ")
    tid = token_id(db_app, raw)
    # Even a decision row for it (which the page would refuse) gives nothing.
    from service.extensions import db
    from service.models import ResultsSharing

    with db_app.app_context(), db.standalone() as s:
        s.add(
            ResultsSharing(
                bilan_id=done.bilan,
                beneficiary_id=done.beneficiary,
                api_token_id=tid,
                recipient_name="Logiciel XYZ",
                decision="accepted",
            )
        )
    _all_404(db_app, done, raw)


def test_a_token_without_results_read_is_a_403(
    db_app: Flask, done: World, camille: FlaskClient
) -> None:
    raw = make_token(db_app, done.centre, ("bilans:write", "answers:write"), name="Gestion")
    client = db_app.test_client()
    for url in _urls(done):
        body = assert_problem(client.get(url, headers=bearer(raw)), 403)
        assert "results:read" in body["detail_fr"]


def test_a_revoked_token_is_refused_and_a_new_token_needs_a_new_agreement(
    db_app: Flask, done: World, agreed: tuple[str, int], camille: FlaskClient
) -> None:
    from service.extensions import db
    from service.features.api import tokens

    raw, tid = agreed
    with db_app.app_context(), db.standalone() as s:
        found = tokens.find_token(s, raw)
        assert found is not None
        tokens.revoke(found)
    client = db_app.test_client()
    for url in _urls(done):
        assert_problem(client.get(url, headers=bearer(raw)), 401)
    page = camille.get(f"/espace/bilans/{done.bilan}/partage-resultats").get_data(as_text=True)
    assert "« Logiciel XYZ », logiciel du centre" not in page  # no longer asked about
    assert decide(camille, done.bilan, tid, "withdraw").status_code == 422
    renewed = make_token(db_app, done.centre, RESULTS, name="Logiciel XYZ")
    _all_404(db_app, done, renewed)
    assert decide(camille, done.bilan, token_id(db_app, renewed), "accept").status_code == 302
    _all_200(db_app, done, renewed)


def test_a_withdrawn_consent_stops_everything(
    db_app: Flask, done: World, agreed: tuple[str, int]
) -> None:
    from service.extensions import db
    from service.features.journey import consent
    from service.models import Beneficiary, Bilan

    raw, _tid = agreed
    _all_200(db_app, done, raw)
    with db_app.test_request_context(), db.standalone() as s:
        bilan, person = s.get(Bilan, done.bilan), s.get(Beneficiary, done.beneficiary)
        assert bilan is not None and person is not None
        consent.record_consent(s, bilan, person, accepted=False, keep_for_followup=False)
    _all_404(db_app, done, raw)


def test_destroyed_content_stops_everything(
    db_app: Flask, done: World, agreed: tuple[str, int]
) -> None:
    from service.dates import utcnow
    from service.models import Bilan

    raw, _tid = agreed
    set_values(db_app, Bilan, done.bilan, ended_at=utcnow(), content_destroyed_at=utcnow())
    _all_404(db_app, done, raw)


def test_an_anonymous_questionnaire_has_no_scores_through_the_api(
    db_app: Flask, done: World, agreed: tuple[str, int]
) -> None:
    from service.extensions import db
    from service.models import Assignment

    raw, _tid = agreed
    instruments = db_app.extensions["boussole.instruments"]
    with db_app.app_context(), db.standalone() as s:
        a = Assignment(
            bilan_id=done.bilan,
            instrument_id="satisfaction-fin-bilan",
            instrument_version=instruments["satisfaction-fin-bilan"].version,
            show_results_now=True,
        )
        s.add(a)
        s.flush()
        aid = a.id
    complete(db_app, aid)
    client = db_app.test_client()
    assert_problem(client.get(f"/api/v1/assignments/{aid}/scores", headers=bearer(raw)), 404)
    listing = client.get(f"/api/v1/bilans/{done.bilan}/results", headers=bearer(raw)).get_json()
    assert aid not in [r["assignment_id"] for r in listing["data"]]


def test_the_person_sees_the_software_s_reads_in_their_access_log(
    db_app: Flask, done: World, agreed: tuple[str, int], camille: FlaskClient
) -> None:
    raw, _tid = agreed
    client = db_app.test_client()
    url = f"/api/v1/assignments/{done.assignments[RIASEC]}/scores"
    assert client.get(url, headers=bearer(raw)).status_code == 200
    page = camille.get("/espace/mes-donnees/consultations").get_data(as_text=True)
    assert (
        "Logiciel XYZ (logiciel du centre, par l’API) a lu vos scores et votre profil à un"
        " questionnaire." in page
    )
