"""The "pistes à explorer" pages (/conseil/questionnaires/<id>/pistes and
/espace/questionnaires/<id>/pistes) on the shipped ROME snapshot: the ranking of a clear
RIASEC profile, the why of each piste, the filters, "show more", the flat profile, who may
see them (before and after release), and bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.service.conftest import World, helpers
from tests.service.test_counsellor import RIASEC, answers_for, complete, set_values


@pytest.fixture
def db_app(snapshot_app: Flask) -> Iterator[Flask]:
    """The world on a database holding the shipped snapshot (release 60)."""
    yield snapshot_app


@pytest.fixture
def riasec(db_app: Flask, world: World) -> int:
    """Camille's RIASEC completed with answers_for's clear profile: every S item 4, A 3,
    I 2, E and C 1, R 0 -> prorated sums S 40, A 30, I 20, E 10, C 10, R 0: code SAI."""
    aid = world.assignments[RIASEC]
    complete(db_app, aid)
    return aid


def _client(app: Flask, world: World, who: str) -> FlaskClient:
    client = app.test_client()
    if who == "camille":
        helpers.sign_in_beneficiary(client, app, world.beneficiary)
    elif who == "dominique":
        helpers.sign_in_beneficiary(client, app, world.other_beneficiary)
    elif who != "anonymous":
        helpers.sign_in_staff(client, f"{who}@test.fr")
    return client


def _release(app: Flask, aid: int) -> None:
    from service.models import Assignment

    set_values(app, Assignment, aid, show_results_now=True)


def _fiche_codes(app: Flask) -> dict[str, str]:
    from service.extensions import db
    from service.models import RomeFiche

    with app.app_context(), db.standalone() as s:
        return {
            f.code_rome: (f.riasec_majeur or "") + (f.riasec_mineur or "")
            for f in s.scalars(select(RomeFiche).where(RomeFiche.removed_in.is_(None)))
        }


def _ranked(page: str) -> list[tuple[str, int, bool]]:
    """(code ROME, rank, ex aequo) of each piste on the page, in order."""
    items = re.findall(
        r'<li id="piste-\d+"[^>]*>.*?\((\w\d{4})\)</span></h2>\s*<p class="muted">Rang (\d+)'
        r"( \(ex æquo\))?",
        page,
        re.S,
    )
    return [(code, int(r), bool(tied)) for code, r, tied in items]


def test_counsellor_sees_ranked_pistes_with_why(db_app: Flask, world: World, riasec: int) -> None:
    page = _client(db_app, world, "claire").get(f"/conseil/questionnaires/{riasec}/pistes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Pistes de métiers à explorer" in html
    assert "Code d’intérêts : SAI" in html
    assert "Source : France Travail, ROME 4.0 (version 60" in html
    codes = _fiche_codes(db_app)
    ranked = _ranked(html)
    assert len(ranked) == 20  # the first step of "show more"
    # Person SAI: a fiche "S" scores 3·3/9 -> 18 and "SA" 3·3 + 2·3 = 15/15 -> 18: every
    # such fiche shares rank 1, ex aequo, and they come first (by code).
    top = sorted(c for c, code in codes.items() if code in ("S", "SA"))
    assert len(top) > 20
    assert [c for c, _r, _t in ranked] == top[:20]
    assert all(r == 1 and tied for _c, r, tied in ranked)
    total = sum(1 for code in codes.values() if code)
    # Written with French grouping (1 584: a narrow no-break space, as Babel writes it).
    grouped = f"{total:,}".replace(",", "\u202f")
    assert total >= 1000 and f"{grouped} fiches métier classées ; voici les 20 premières." in html
    # The why: the fiche's RIASEC and the letters shared with the code.
    assert "Code RIASEC de la fiche : SA." in html or "Code RIASEC de la fiche : S." in html
    assert "S (Social, 1re lettre du code, à la même place)" in html
    assert "Compétences de la fiche liées à ces types d’intérêts" in html
    # The words of a lead, not of a verdict.
    assert "pistes à discuter en entretien, pas une orientation" in html


def test_show_more_keeps_the_filters(db_app: Flask, world: World, riasec: int) -> None:
    client = _client(db_app, world, "claire")
    url = f"/conseil/questionnaires/{riasec}/pistes"
    first = client.get(f"{url}?gd=K").get_data(as_text=True)
    assert '<option value="K" selected>K · ' in first  # the filter form shows the choice
    assert re.search(r'<option value="K\d\d">K\d\d · ', first)
    ranked = _ranked(first)
    assert ranked and all(c.startswith("K") for c, _r, _t in ranked)
    assert 'href="?gd=K&amp;page=2#piste-21"' in first
    second = _ranked(client.get(f"{url}?gd=K&page=2").get_data(as_text=True))
    assert second[:20] == ranked and len(second) > 20
    # Ranks are within the filtered fiches, and never decrease down the list.
    assert second[0][1] == 1
    assert [r for _c, r, _t in second] == sorted(r for _c, r, _t in second)


def test_rank_ties_below_the_top(db_app: Flask, world: World, riasec: int) -> None:
    client = _client(db_app, world, "claire")
    html = client.get(f"/conseil/questionnaires/{riasec}/pistes?page=1000").get_data(as_text=True)
    ranked = _ranked(html)
    codes = _fiche_codes(db_app)
    assert len(ranked) == sum(1 for code in codes.values() if code)
    # Competition ranking: a rank is 1 + the number of fiches above it, and fiches with
    # the same RIASEC code always share their rank.
    by_code: dict[str, set[int]] = {}
    for i, (c, r, _t) in enumerate(ranked):
        by_code.setdefault(codes[c], set()).add(r)
        assert r == 1 + next(j for j, (_c2, r2, _t2) in enumerate(ranked) if r2 == r)
        assert r <= i + 1
    assert all(len(ranks) == 1 for ranks in by_code.values())
    # Person SAI against a fiche "R": 3·a(S,R) = 0 -> last; against "E": 3·2 = 6/9 -> 12,
    # "IA": 3·a(S,I)=1 + 2·a(A,A)=3 -> 9/15 -> 10.8, so E above IA.
    rank_of = {codes[c]: r for c, r, _t in ranked}
    if "E" in rank_of and "IA" in rank_of:
        assert rank_of["E"] < rank_of["IA"]
    assert rank_of.get("R", ranked[-1][1]) == ranked[-1][1]


def test_flat_profile_gives_no_ranking(db_app: Flask, world: World) -> None:
    aid = world.assignments[RIASEC]
    # Every item 3 -> every type 30: spread 0 <= 8, a flat profile.
    flat: dict[str, Any] = dict.fromkeys(answers_for(db_app, RIASEC), 3)
    complete(db_app, aid, flat)
    html = _client(db_app, world, "claire").get(f"/conseil/questionnaires/{aid}/pistes")
    text = html.get_data(as_text=True)
    assert html.status_code == 200
    assert "Pas de classement des métiers pour ce profil" in text
    assert "profil plat" in text
    assert "Parcourir la base de métiers par domaine" in text
    assert _ranked(text) == []


def test_beneficiary_only_once_released(db_app: Flask, world: World, riasec: int) -> None:
    url = f"/espace/questionnaires/{riasec}/pistes"
    client = _client(db_app, world, "camille")
    assert client.get(url).status_code == 403  # not released yet
    results = client.get(f"/espace/questionnaires/{riasec}/resultats")
    assert results.status_code == 403
    _release(db_app, riasec)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "à discuter avec votre conseiller ou conseillère" in html
    assert "pas un verdict" in html
    assert len(_ranked(html)) == 20
    # The results page now links to them.
    results_html = client.get(f"/espace/questionnaires/{riasec}/resultats").get_data(as_text=True)
    assert f'href="/espace/questionnaires/{riasec}/pistes"' in results_html


def test_counsellor_profile_links_to_pistes(db_app: Flask, world: World, riasec: int) -> None:
    html = _client(db_app, world, "claire").get(f"/conseil/questionnaires/{riasec}/profil")
    assert f'href="/conseil/questionnaires/{riasec}/pistes"' in html.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "prefix", "expected"),
    [
        ("anonymous", "/conseil", 302),
        ("anonymous", "/espace", 302),
        ("dominique", "/espace", 404),  # another beneficiary
        ("dominique", "/conseil", 403),
        ("paul", "/conseil", 404),  # the other counsellor of the centre
        ("admin", "/conseil", 404),  # an admin does not read bilans
        ("claire", "/espace", 403),  # each audience its own pages
    ],
)
def test_who_may_not_see_them(
    db_app: Flask, world: World, riasec: int, who: str, prefix: str, expected: int
) -> None:
    _release(db_app, riasec)
    response = _client(db_app, world, who).get(f"{prefix}/questionnaires/{riasec}/pistes")
    assert response.status_code == expected
    if expected == 302:
        assert "/connexion" in response.headers["Location"]


def test_foreign_centre_counsellor(db_app: Flask, world: World, riasec: int) -> None:
    helpers.other_centre(db_app, staff=(("jo@autre.fr", "counsellor"),))
    client = db_app.test_client()
    helpers.sign_in_staff(client, "jo@autre.fr")
    assert client.get(f"/conseil/questionnaires/{riasec}/pistes").status_code == 404


def test_not_for_a_questionnaire_without_riasec(db_app: Flask, world: World) -> None:
    aid = world.assignments["ipip-bfi-25"]
    complete(db_app, aid)
    client = _client(db_app, world, "claire")
    assert client.get(f"/conseil/questionnaires/{aid}/pistes").status_code == 404
    unfinished = world.assignments["valeurs-travail"]
    assert client.get(f"/conseil/questionnaires/{unfinished}/pistes").status_code == 404


@pytest.mark.parametrize(
    "query",
    ["gd=ZZ", "domaine=Z99", "tag=nope", "tag=cadre&tag=cadre", "page=-3", "page=abc",
     "page=99999999999999999999", "gd=" + "K" * 5000],
)  # fmt: skip
def test_bad_filters_are_ignored(db_app: Flask, world: World, riasec: int, query: str) -> None:
    response = _client(db_app, world, "claire").get(
        f"/conseil/questionnaires/{riasec}/pistes?{query}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _ranked(html)
    if query.startswith(("gd=", "domaine=", "tag=nope")):
        assert "ignoré : cette valeur n’est pas dans la liste" in html


def test_nul_byte_is_a_client_error(db_app: Flask, world: World, riasec: int) -> None:
    client = _client(db_app, world, "claire")
    response = client.get(f"/conseil/questionnaires/{riasec}/pistes?domaine=%00")
    assert 400 <= response.status_code < 500


def test_counsellor_view_is_in_the_access_log(db_app: Flask, world: World, riasec: int) -> None:
    from tests.service.test_counsellor import audit_actions

    _client(db_app, world, "claire").get(f"/conseil/questionnaires/{riasec}/pistes")
    assert [a for _actor, a in audit_actions(db_app)].count("view_pistes") == 1


# --- the synthesis ------------------------------------------------------------------------


def test_pistes_proposed_to_the_synthesis(db_app: Flask, world: World, riasec: int) -> None:
    import io
    import json

    from docx import Document

    from tests.service.test_synthesis import decide, docx_text, items, propose, save

    claire = _client(db_app, world, "claire")
    camille = _client(db_app, world, "camille")
    b = world.bilan
    page = claire.get(f"/conseil/bilans/{b}/synthese/resultats").get_data(as_text=True)
    assert "Pistes de métiers à explorer" in page
    assert propose(claire, b, riasec, "pistes").status_code == 302
    assert propose(claire, b, riasec, "pistes").status_code == 409  # already proposed
    # the person sees the list and decides
    mine = camille.get(f"/espace/bilans/{b}/synthese").get_data(as_text=True)
    assert "Pistes de métiers à explorer" in mine and "En attente de votre décision" in mine
    item = items(db_app, b)[(riasec, "pistes")]
    save(claire, b)
    data = json.loads(claire.get(f"/conseil/bilans/{b}/synthese.json").data)
    assert data["results"] == []  # not approved yet: not in the document
    assert decide(camille, b, item["id"], "approved").status_code == 302
    data = json.loads(claire.get(f"/conseil/bilans/{b}/synthese.json").data)
    (group,) = data["results"]
    (element,) = group["elements"]
    assert element["element"] == "pistes"
    table = element["table"]
    assert table["header"] == ["Rang", "Fiche métier", "Code RIASEC", "Indice (sur 18)"]
    assert len(table["rows"]) == 10
    # SAI against "S" or "SA": 18, rank 1, ex aequo (more than ten such fiches)
    assert all(
        r[0] == "1 (ex æquo)" and r[3] == "18" and r[2] in ("S", "SA") for r in table["rows"]
    )
    assert "Source : France Travail, ROME 4.0 (version 60" in table["caption"]
    document = Document(io.BytesIO(claire.get(f"/conseil/bilans/{b}/synthese.docx").data))
    text = docx_text(document)
    assert "Pistes de métiers à explorer" in text and table["rows"][0][1] in text
