"""The beneficiary's journey: home, questionnaire pages, autosave, completion, results."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from instruments.loader import builtin_files
from service.app import create_app
from service.features.journey import answering, completion
from service.features.journey import store as answer_store
from service.features.journey.consent import CONSENT_VERSION
from service.features.journey.paging import paginate
from service.features.journey.store import MAX_PAGE_SECONDS
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff

BFI = "ipip-bfi-25"
BFI_VALUES = {f"{d}{k}": (k % 6) + 1 for d in "ACENO" for k in range(1, 6)}
IMPORTANCE = {f"VT{k:02d}": (k % 5) + 1 for k in range(1, 22)}
RANKS = {
    "RANG_REUSSITE": 1,
    "RANG_INDEPENDANCE": 2,
    "RANG_RECONNAISSANCE": 3,
    "RANG_RELATIONS": 4,
    "RANG_SOUTIEN": 5,
    "RANG_CONDITIONS": 6,
}


# --- helpers ------------------------------------------------------------------------------


def q(aid: int, rest: str = "") -> str:
    return f"/espace/questionnaires/{aid}{rest}"


def consent(client: FlaskClient, bilan_id: int) -> None:
    response = client.post(
        f"/espace/bilans/{bilan_id}/consentement",
        data={"text_version": CONSENT_VERSION, "accept": "1"},
    )
    assert response.status_code == 302


def autosave(client: FlaskClient, aid: int, item: str, value: Any, **extra: Any) -> Any:
    return client.post(q(aid, "/reponses"), json={"item": item, "value": value, **extra})


def stored(app: Flask, aid: int) -> dict[str, Any]:
    from service.extensions import db
    from service.models import Answer

    with app.app_context(), db.standalone() as s:
        rows = s.execute(select(Answer.item_id, Answer.value).where(Answer.assignment_id == aid))
        return dict(rows.all())


def answer_rows(app: Flask, aid: int, item: str) -> int:
    from service.extensions import db
    from service.models import Answer

    with app.app_context(), db.standalone() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Answer)
                .where(Answer.assignment_id == aid, Answer.item_id == item)
            )
            or 0
        )


def assignment(app: Flask, aid: int) -> Any:
    from service.extensions import db
    from service.models import Assignment

    with app.app_context(), db.standalone() as s:
        row = s.get(Assignment, aid)
        assert row is not None
        s.expunge(row)
        return row


def update_assignment(app: Flask, aid: int, **values: Any) -> None:
    from service.extensions import db
    from service.models import Assignment

    with app.app_context(), db.standalone() as s:
        row = s.get(Assignment, aid)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)


def timings(app: Flask, aid: int) -> dict[int, float]:
    from service.extensions import db
    from service.models import PageTiming

    with app.app_context(), db.standalone() as s:
        rows = s.execute(
            select(PageTiming.page, PageTiming.seconds).where(PageTiming.assignment_id == aid)
        )
        return dict(rows.all())


def score_records(app: Flask, aid: int) -> list[Any]:
    from service.extensions import db
    from service.models import ScoreRecord

    with app.app_context(), db.standalone() as s:
        rows = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def past_token(app: Flask, aid: int, page: int, seconds_ago: int) -> str:
    """The page's signed render time, as if rendered ``seconds_ago`` seconds ago."""
    from itsdangerous import URLSafeTimedSerializer
    from itsdangerous.timed import TimestampSigner

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="boussole-page-time")
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time()) - seconds_ago  # type: ignore[method-assign]
    try:
        return str(serializer.dumps([aid, page]))
    finally:
        TimestampSigner.get_timestamp = original  # type: ignore[method-assign]


def page_data(values: dict[str, Any], action: str = "next", **extra: str) -> dict[str, Any]:
    data: dict[str, Any] = {f"q-{k}": str(v) for k, v in values.items()}
    data["action"] = action
    data.update(extra)
    return data


@pytest.fixture
def person(db_app: Flask, world: World) -> FlaskClient:
    """The world's beneficiary, signed in, having consented."""
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    consent(client, world.bilan)
    return client


def answer_all(client: FlaskClient, aid: int, values: dict[str, Any], per_page: int = 6) -> None:
    for n, (item, value) in enumerate(values.items()):
        response = autosave(client, aid, item, value, page=n // per_page + 1, seconds=3)
        assert response.status_code == 200, response.get_json()


# --- pagination ---------------------------------------------------------------------------


def test_pages_keep_ranking_blocks_whole(app: Flask) -> None:
    values = app.extensions["boussole.instruments"]["valeurs-travail"]
    for per_page in (1, 4, 6, 10):
        pages = paginate(values, per_page)
        block_pages = {p.number for p in pages for it in p.items if it.block}
        assert len(block_pages) == 1, per_page  # the six ranks are on one page
        assert [it.id for p in pages for it in p.items] == [it.id for it in values.items]
        for p in pages:
            assert len(p.items) <= per_page or all(it.block for it in p.items)
    assert [len(p.items) for p in paginate(values, 4)] == [4, 4, 4, 4, 4, 1, 6]
    with pytest.raises(ValueError, match="at least 1"):
        paginate(values, 0)


def test_pages_start_at_each_section(formats_app: Flask) -> None:
    inst = formats_app.extensions["boussole.instruments"]["essai-formats"]
    pages = paginate(inst, 6)
    assert [p.item_ids for p in pages] == [
        ("EA1", "EA2", "EA3"),
        ("EB1", "EB2", "EB3", "EB4", "EB5"),
    ]
    assert [(p.section.id if p.section else None, p.starts_section) for p in pages] == [
        ("partie_a", True),
        ("partie_b", True),
    ]
    small = paginate(inst, 2)
    assert [p.item_ids for p in small] == [
        ("EA1", "EA2"),
        ("EA3",),
        ("EB1",),
        ("EB2", "EB3", "EB4"),
        ("EB5",),
    ]
    assert [p.starts_section for p in small] == [True, False, True, False, False]


# --- access -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    aid = world.assignments[BFI]
    for path in ("/espace/", q(aid), q(aid, "/page/1"), q(aid, "/merci"), q(aid, "/resultats")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/connexion"), path
    for path in (q(aid, "/page/1"), q(aid, "/terminer")):
        response = client.post(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    saved = autosave(client, aid, "A1", 3)
    assert saved.status_code == 401
    assert "reconnectez-vous" in saved.get_json()["error"]
    assert stored(db_app, aid) == {}


def test_a_used_invitation_link_does_not_open_a_session(db_app: Flask, world: World) -> None:
    from tests.service.conftest import invitation_token, mark_way_chosen, open_invitation

    mark_way_chosen(db_app, world.beneficiary)  # (before the choice, see test_way_back.py)
    token = invitation_token(db_app, world.beneficiary)
    first = db_app.test_client()
    assert open_invitation(first, f"/invitation/{token}").status_code == 302
    second = db_app.test_client()
    assert second.get(f"/invitation/{token}").status_code == 410
    assert second.get("/espace/").status_code == 302  # still anonymous


def test_counsellors_cannot_answer(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")  # the counsellor of this very bilan
    aid = world.assignments[BFI]
    assert client.get("/espace/").status_code == 403
    assert client.get(q(aid, "/page/1")).status_code == 403
    assert client.post(q(aid, "/page/1"), data=page_data({"A1": 3})).status_code == 403
    response = autosave(client, aid, "A1", 3)
    assert response.status_code == 403
    assert response.get_json()["status"] == 403
    assert client.post(q(aid, "/terminer")).status_code == 403
    assert stored(db_app, aid) == {}


def test_someone_elses_questionnaire_is_not_found(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    other = world.other_assignment
    for path in (q(other), q(other, "/page/1"), q(other, "/merci"), q(other, "/resultats")):
        assert person.get(path).status_code == 404, path
    assert person.post(q(other, "/page/1"), data=page_data({"A1": 3})).status_code == 404
    response = autosave(person, other, "A1", 3)
    assert response.status_code == 404
    assert response.is_json and "n’existe pas" in response.get_json()["error"]
    assert person.post(q(other, "/terminer")).status_code == 404
    assert stored(db_app, other) == {}
    assert assignment(db_app, other).status == "not_started"
    assert person.get(q(9999, "/page/1")).status_code == 404
    # ... even once it is completed and released to its owner.
    update_assignment(db_app, other, status="completed", show_results_now=True)
    assert person.get(q(other, "/resultats")).status_code == 404


def test_unknown_page_numbers_are_not_found(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    assert person.get(q(aid, "/page/0")).status_code == 404
    assert person.get(q(aid, "/page/6")).status_code == 404  # 25 items: 5 pages of 6
    assert person.get(q(aid, "/page/5")).status_code == 200


# --- home, instructions, pages ------------------------------------------------------------


def test_home_shows_status_progress_and_time(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    html = person.get("/espace/").get_data(as_text=True)
    assert html.count("À commencer") == 3
    assert "60 questions ; durée estimée : environ 10 minutes." in html
    assert "25 questions ; durée estimée : environ 5 minutes." in html
    riasec = world.assignments["riasec-60"]
    inst = db_app.extensions["boussole.instruments"]["riasec-60"]
    answer_all(person, riasec, {it.id: 2 for it in inst.items[:30]})
    html = person.get("/espace/").get_data(as_text=True)
    assert "En cours : 50\u00a0%" in html
    assert '<progress max="100" value="50"' in html
    assert "30 réponses sur 60." in html
    assert "Temps restant estimé : environ 5 minutes." in html
    assert html.count("À commencer") == 2
    assert "Reprendre<span" in html


def test_instructions_page_and_start_button(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments["valeurs-travail"]
    html = person.get(q(aid)).get_data(as_text=True)
    assert '<h1 lang="fr">Valeurs au travail</h1>' in html
    assert "<h2>Consignes</h2>" in html and "classez les six valeurs de la 1re" in html
    assert "27 questions sur 5 pages. Durée estimée : environ 8 minutes." in html
    assert "enregistrée dès que vous la donnez" in html
    assert f'href="{q(aid, "/page/1")}#item-q-VT01">Commencer</a>' in html


def test_counts_take_the_french_singular_for_0_and_1(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    html = person.get(q(aid, "/page/1")).get_data(as_text=True)
    assert "0 réponse sur 25 (0\u00a0%)" in html  # not "0 réponses"
    autosave(person, aid, "A1", 2)
    html = person.get(q(aid, "/page/1")).get_data(as_text=True)
    assert "1 réponse sur 25 (4\u00a0%)" in html
    start = person.get(q(aid)).get_data(as_text=True)
    assert "Vous avez déjà donné 1 réponse sur 25 (4\u00a0%)." in start
    assert "1 réponse sur 25." in person.get("/espace/").get_data(as_text=True)
    autosave(person, aid, "A2", 2)
    assert "2 réponses sur 25 (8\u00a0%)" in person.get(q(aid, "/page/1")).get_data(as_text=True)
    person.post("/langue", data={"lang": "en"})
    html = person.get(q(aid, "/page/1")).get_data(as_text=True)
    assert "2 answers out of 25 (8%)" in html, re.findall(r"progress-text.{0,80}", html)


def test_enter_on_the_last_page_saves_and_stays(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    """The last page's first submit button (the one Enter presses) saves, never finishes."""
    aid = world.assignments[BFI]
    html = person.get(q(aid, "/page/5")).get_data(as_text=True)
    first_button = re.search(r"<button[^>]*>", html.split('id="questionnaire"')[1])
    assert first_button and 'value="stay" hidden' in first_button.group(0)
    buttons = re.findall(r'name="action" value="(\w+)"', html.split('class="actions"')[1])
    assert buttons == ["finish", "previous", "later"]  # the order of every other page
    response = person.post(q(aid, "/page/5"), data=page_data({"O5": 2}, action="stay"))
    assert response.headers["Location"] == q(aid, "/page/5") + "#item-q-O5"
    assert stored(db_app, aid) == {"O5": 2}
    assert assignment(db_app, aid).status == "in_progress"


def test_a_page_renders_every_item_as_an_accessible_fieldset(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    response = person.get(q(aid, "/page/2"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "page 2 sur 5" in html
    assert html.count('<fieldset class="item"') == 6
    assert html.count("<legend") == 6
    assert '<legend lang="fr">Je continue jusqu’à ce que tout soit parfait.</legend>' in html
    # C2: six radios, each with its own label
    for k in range(6):
        assert f'id="q-C2-{k}" name="q-C2" type="radio" value="{k + 1}"' in html
        assert f'<label for="q-C2-{k}" lang="fr">' in html
    assert '<label for="progress" class="visually-hidden">Progression</label>' in html
    assert '<progress id="progress" max="100" value="0"' in html
    assert 'name="action" value="next">Suivant</button>' in html
    assert 'name="action" value="previous" class="secondary">Précédent</button>' in html
    assert 'role="status" aria-live="polite"' in html
    assert f'data-autosave-url="{q(aid, "/reponses")}"' in html
    assert "js/autosave.js" in html


def test_items_are_shown_in_the_language_of_the_assignment(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    update_assignment(db_app, aid, language="en")
    html = person.get(q(aid, "/page/1")).get_data(as_text=True)
    assert '<html lang="fr">' in html  # the interface stays in French
    assert '<legend lang="en">Am indifferent to the feelings of others.</legend>' in html
    assert '<label for="q-A1-0" lang="en">Very inaccurate</label>' in html
    assert "Suivant" in html


def test_number_and_free_text_items(db_app: Flask, world: World, person: FlaskClient) -> None:
    from service.extensions import db
    from service.models import Assignment

    with db_app.app_context(), db.standalone() as s:
        row = Assignment(
            bilan_id=world.bilan, instrument_id="suivi-6-mois", instrument_version="1.0.0"
        )
        s.add(row)
        s.flush()
        aid = row.id
    html = person.get(q(aid, "/page/1")).get_data(as_text=True)
    assert (
        '<input aria-describedby="hint-q-SUI_ETAPES_NB" class="number" id="q-SUI_ETAPES_NB"'
        ' inputmode="numeric" max="20" min="0" name="q-SUI_ETAPES_NB" step="1" type="number"'
    ) in html
    assert '<p class="hint" id="hint-q-SUI_ETAPES_NB">Un nombre de 0 à 20.</p>' in html
    assert 'maxlength="2000"' in html and "<textarea" in html
    assert '<label for="q-SUI_SITUATION_PRECISION">Votre réponse</label>' in html

    too_big = autosave(person, aid, "SUI_ETAPES_NB", 21)
    assert too_big.status_code == 400
    assert too_big.get_json()["error"] == "Indiquez un nombre entre 0 et 20."
    half = autosave(person, aid, "SUI_ETAPES_NB", "2,5")
    assert half.get_json()["error"] == "Indiquez un nombre entier."
    long_text = autosave(person, aid, "SUI_COMMENTAIRE", "x" * 2001)
    assert long_text.status_code == 400 and "2000 caractères" in long_text.get_json()["error"]
    assert autosave(person, aid, "SUI_COMMENTAIRE", 12).status_code == 400
    assert stored(db_app, aid) == {}
    assert autosave(person, aid, "SUI_ETAPES_NB", "7").status_code == 200
    assert autosave(person, aid, "SUI_COMMENTAIRE", "  Merci.\r\nÀ bientôt  ").status_code == 200
    assert stored(db_app, aid) == {"SUI_ETAPES_NB": 7, "SUI_COMMENTAIRE": "Merci.\nÀ bientôt"}


# --- saving a page without JavaScript -----------------------------------------------------


def test_page_post_saves_the_answers_and_redirects(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    first = dict(list(BFI_VALUES.items())[:6])
    response = person.post(
        q(aid, "/page/1"),
        data=page_data(first, t=past_token(db_app, aid, 1, 40), reported="10"),
    )
    assert response.status_code == 302
    # the focus goes to the first question of the next page
    assert response.headers["Location"] == q(aid, "/page/2") + "#item-q-C2"
    assert stored(db_app, aid) == first
    row = assignment(db_app, aid)
    assert (row.status, row.current_page) == ("in_progress", 2)
    assert row.started_at is not None
    (seconds,) = timings(db_app, aid).values()
    assert 29 <= seconds <= 32  # 40 s on the page, of which 10 s already sent by the script

    back = person.post(q(aid, "/page/2"), data=page_data({}, action="previous"))
    assert back.headers["Location"] == q(aid, "/page/1") + "#item-q-A1"
    to_start = person.post(q(aid, "/page/1"), data=page_data({}, action="previous"))
    assert to_start.headers["Location"] == q(aid)
    later = person.post(q(aid, "/page/1"), data=page_data({}, action="later"))
    assert later.headers["Location"] == "/espace/"
    assert "Vous reprendrez à la page 1." in person.get("/espace/").get_data(as_text=True)


def test_time_on_a_page_is_capped_and_accumulated(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    token = past_token(db_app, aid, 1, 5 * 3600)  # the page stayed open five hours
    person.post(q(aid, "/page/1"), data=page_data({"A1": 2}, t=token))
    assert timings(db_app, aid) == {1: MAX_PAGE_SECONDS}
    person.post(q(aid, "/page/1"), data=page_data({}, t=past_token(db_app, aid, 1, 20)))
    assert 1819 <= timings(db_app, aid)[1] <= 1822
    autosave(person, aid, "A2", 3, page=1, seconds=12.5)
    assert 1831 <= timings(db_app, aid)[1] <= 1835
    # a token signed for another page or forged is ignored
    person.post(q(aid, "/page/2"), data=page_data({}, t=token))
    person.post(q(aid, "/page/2"), data=page_data({}, t="forged.token"))
    assert 2 not in timings(db_app, aid)


def test_out_of_range_answer_on_a_page_is_refused_next_to_the_item(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    values = dict(list(BFI_VALUES.items())[:6])
    values["A1"] = 9
    values["A3"] = "beaucoup"
    response = person.post(q(aid, "/page/1"), data=page_data(values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<title>Erreur : " in html
    assert 'class="error-summary" id="error-summary" role="alert"' in html
    assert "2 réponses sont à revoir" in html
    assert '<a href="#q-A1-0">' in html and '<a href="#q-A3-0">' in html
    assert (
        '<p class="field-error" id="err-q-A1"><span class="visually-hidden">Erreur : </span>'
        "Choisissez une des réponses proposées.</p>"
    ) in html
    assert "Indiquez un nombre, en chiffres." in html
    assert 'aria-describedby="err-q-A1" aria-invalid="true" id="q-A1-0"' in html
    # the valid answers of the page are kept, the refused ones never stored
    saved = stored(db_app, aid)
    assert "A1" not in saved and "A3" not in saved
    assert saved == {k: v for k, v in values.items() if k not in ("A1", "A3")}
    assert assignment(db_app, aid).current_page == 0  # did not move on


def test_ranking_on_a_page_refuses_a_rank_given_twice(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments["valeurs-travail"]
    html = person.get(q(aid, "/page/5")).get_data(as_text=True)
    assert '<fieldset class="ranking" data-block="classement_valeurs">' in html
    assert html.count('<select class="rank"') == 6
    assert '<label for="q-RANG_SOUTIEN" lang="fr">Soutien' in html
    assert '<option value="">—</option>' in html
    twice = dict(RANKS, RANG_SOUTIEN=2)
    response = person.post(q(aid, "/page/5"), data=page_data(twice, action="finish"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count("Le rang 2 est donné à 2 énoncés") == 4  # summary and both statements
    assert '<a href="#q-RANG_INDEPENDANCE">' in html
    assert not any(k.startswith("RANG_") for k in stored(db_app, aid))
    assert assignment(db_app, aid).status != "completed"

    partial = {k: v for k, v in RANKS.items() if k != "RANG_CONDITIONS"}
    response = person.post(q(aid, "/page/5"), data=page_data(partial, action="finish"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Donnez un rang à chacun des 6 énoncés" in html
    assert '<a href="#q-RANG_CONDITIONS">' in html
    # going back with a partial ranking is allowed: what was given is kept
    back = person.post(q(aid, "/page/5"), data=page_data(partial, action="previous"))
    assert back.status_code == 302
    assert {k: v for k, v in stored(db_app, aid).items() if k.startswith("RANG_")} == partial


def test_required_items_and_sections(formats_app: Flask, formats_client: FlaskClient) -> None:
    aid = formats_app.config["TEST_ASSIGNMENT"]
    html = formats_client.get(q(aid, "/page/1")).get_data(as_text=True)
    assert '<h2 lang="fr">Première partie</h2>' in html
    assert '<p lang="fr">Quelques questions simples.</p>' in html
    assert 'type="checkbox"' in html and html.count('name="q-EA2"') == 3
    assert "Plusieurs réponses possibles." in html
    response = formats_client.post(q(aid, "/page/1"), data=page_data({"EA3": 2}))
    assert response.status_code == 422
    assert "Cette question demande une réponse." in response.get_data(as_text=True)
    assert stored(formats_app, aid) == {"EA3": 2}
    # multiple choice without JavaScript: several checked boxes, stored as the list of codes
    data = page_data({"EA1": 1}) | {"q-EA2": ["3", "1"]}
    response = formats_client.post(q(aid, "/page/1"), data=data)
    assert response.headers["Location"] == q(aid, "/page/2") + "#item-q-EB1"
    assert stored(formats_app, aid) == {"EA1": 1, "EA2": [1, 3], "EA3": 2}
    html = formats_client.get(q(aid, "/page/2")).get_data(as_text=True)
    assert '<h2 lang="fr">Seconde partie</h2>' in html
    assert 'step="0.5"' in html and 'inputmode="decimal"' in html
    assert autosave(formats_client, aid, "EA2", [1, 4]).status_code == 400
    assert autosave(formats_client, aid, "EB1", 2.25).get_json()["error"] == (
        "Indiquez un nombre par pas de 0,5 à partir de 0."
    )
    assert autosave(formats_client, aid, "EB1", 2.5).status_code == 200
    # every type stored as given, then scored (multiple choice as a list of codes)
    for item, rank in (("EB2", 3), ("EB3", 1), ("EB4", 2)):
        assert autosave(formats_client, aid, item, rank, page=2).status_code == 200
    assert autosave(formats_client, aid, "EB5", "Rien à ajouter").status_code == 200
    assert autosave(formats_client, aid, "EB5", "x" * 21).status_code == 400
    finish = formats_client.post(q(aid, "/page/2"), data=page_data({}, action="finish"))
    assert finish.headers["Location"] == q(aid, "/merci")
    assert stored(formats_app, aid) == {
        "EA1": 1,
        "EA2": [1, 3],
        "EA3": 2,
        "EB1": 2.5,
        "EB2": 3,
        "EB3": 1,
        "EB4": 2,
        "EB5": "Rien à ajouter",
    }
    (record,) = score_records(formats_app, aid)
    assert record.instrument_key == "essai-formats@0.1.0"
    assert record.scores["trio_premier.mean"] == 1.0  # ranked 3rd of 3, reverse keyed


def test_completion_checks_required_items_on_every_page(
    formats_app: Flask, formats_client: FlaskClient
) -> None:
    aid = formats_app.config["TEST_ASSIGNMENT"]
    assert autosave(formats_client, aid, "EB1", 4).status_code == 200
    response = formats_client.post(q(aid, "/page/2"), data=page_data({}, action="finish"))
    assert response.status_code == 302
    assert response.headers["Location"] == q(aid, "/page/1") + "#item-q-EA1"
    page = formats_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Avant de terminer : « Première affirmation. » (page 1)." in page
    assert assignment(formats_app, aid).status == "in_progress"
    assert autosave(formats_client, aid, "EA1", 2).status_code == 200
    done = formats_client.post(q(aid, "/terminer"))
    assert done.headers["Location"] == q(aid, "/merci")
    (record,) = score_records(formats_app, aid)
    assert record.scores["accord_total.mean"] == 2.0
    assert record.scores["trio_premier.missing"] is True  # the ranking was left empty


# --- autosave -----------------------------------------------------------------------------


def test_autosave_stores_the_answer_and_returns_progress(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    response = autosave(person, aid, "A1", 3, page=1, seconds=4)
    assert response.status_code == 200
    assert response.get_json() == {"saved": True, "answered": 1, "total": 25, "progress": 4}
    assert stored(db_app, aid) == {"A1": 3}
    row = assignment(db_app, aid)
    assert (row.status, row.current_page) == ("in_progress", 1)
    assert row.started_at is not None
    assert timings(db_app, aid) == {1: 4.0}
    for n, item in enumerate(["A2", "A3", "A4", "A5", "C1"], start=2):
        data = autosave(person, aid, item, 6, page=1).get_json()
        assert data["answered"] == n and data["progress"] == 100 * n // 25
    last = None
    for item, value in BFI_VALUES.items():
        last = autosave(person, aid, item, value, page=3).get_json()
    assert last == {"saved": True, "answered": 25, "total": 25, "progress": 100}
    assert assignment(db_app, aid).current_page == 3


def test_double_autosave_keeps_one_row_with_the_last_value(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    for value in (2, 2, 5):
        assert autosave(person, aid, "N3", value).status_code == 200
    assert answer_rows(db_app, aid, "N3") == 1
    assert stored(db_app, aid) == {"N3": 5}
    # the same answer from a second tab (another client of the same person)
    tab = db_app.test_client()
    sign_in_beneficiary(tab, db_app, world.beneficiary)
    assert autosave(tab, aid, "N3", 1).get_json()["answered"] == 1
    person.post(q(aid, "/page/3"), data=page_data({"N3": 4}))  # N3 is on page 3
    assert answer_rows(db_app, aid, "N3") == 1
    assert stored(db_app, aid) == {"N3": 4}


def test_autosave_with_null_clears_an_answer(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    autosave(person, aid, "O1", 4)
    response = autosave(person, aid, "O1", None)
    assert response.get_json() == {"saved": True, "answered": 0, "total": 25, "progress": 0}
    assert stored(db_app, aid) == {}


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("A1", 7, "Choisissez une des réponses proposées."),
        ("A1", 0, "Choisissez une des réponses proposées."),
        ("A1", 2.5, "Choisissez une des réponses proposées."),
        ("A1", "trois", "Indiquez un nombre, en chiffres."),
        ("A1", True, "Cette réponse n’est pas un nombre."),
        ("A1", [1, 2], "Une seule réponse est attendue pour cette question."),
        ("A1", {"v": 1}, "Cette réponse n’est pas un nombre."),
        ("Z9", 3, "Cette question ne fait pas partie du questionnaire."),
    ],
)
def test_autosave_refuses_values_outside_the_coding(
    db_app: Flask, world: World, person: FlaskClient, item: str, value: Any, message: str
) -> None:
    aid = world.assignments[BFI]
    response = autosave(person, aid, item, value)
    assert response.status_code == 400
    assert response.get_json()["error"] == message
    assert response.get_json()["saved"] is False
    assert stored(db_app, aid) == {}
    assert assignment(db_app, aid).status == "not_started"


def test_autosave_refuses_a_malformed_request(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    response = person.post(q(aid, "/reponses"), json={"value": 3})
    assert response.status_code == 400 and "illisible" in response.get_json()["error"]
    response = person.post(q(aid, "/reponses"), data="A1=3")
    assert response.status_code == 400
    assert stored(db_app, aid) == {}


def test_ranking_autosave_checks_the_rank(db_app: Flask, world: World, person: FlaskClient) -> None:
    aid = world.assignments["valeurs-travail"]
    response = autosave(person, aid, "RANG_SOUTIEN", 7)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Choisissez un rang entre 1 et 6."
    assert autosave(person, aid, "RANG_SOUTIEN", "2").status_code == 200
    assert stored(db_app, aid) == {"RANG_SOUTIEN": 2}


def test_an_answer_racing_the_completion_is_rolled_back(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    """The route refuses a completed questionnaire; should an answer get past that check
    (a request racing the completion), the final conditional UPDATE refuses it."""
    from service.extensions import db
    from service.models import Assignment

    aid = world.assignments[BFI]
    autosave(person, aid, "A1", 2)
    update_assignment(db_app, aid, status="completed")
    inst = db_app.extensions["boussole.instruments"][BFI]
    with db_app.test_request_context():
        row = db.session.get(Assignment, aid)
        assert row is not None
        with pytest.raises(answer_store.AssignmentClosed):
            answering.save_answer(db.session, row.id, inst, "A1", 5, page=1, per_page=6)
        db.session.rollback()
        with pytest.raises(answer_store.AssignmentClosed):
            completion.complete(db.session, row, inst, per_page=6)
        db.session.rollback()
    assert stored(db_app, aid) == {"A1": 2}
    assert score_records(db_app, aid) == []


# --- resume -------------------------------------------------------------------------------


def test_resume_on_another_device_where_the_person_stopped(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    items = list(BFI_VALUES.items())
    person.post(q(aid, "/page/1"), data=page_data(dict(items[:6])))
    person.post(q(aid, "/page/2"), data=page_data(dict(items[6:12])))
    autosave(person, aid, items[12][0], items[12][1], page=3)
    assert assignment(db_app, aid).current_page == 3

    other_device = db_app.test_client()
    sign_in_beneficiary(other_device, db_app, world.beneficiary)
    home = other_device.get("/espace/").get_data(as_text=True)
    assert "En cours : 52\u00a0%" in home  # 13 of 25
    # one tap from the home page to the page, on its first unanswered question
    assert f'href="{q(aid, "/page/3")}#item-q-E4">Reprendre<' in home
    start = other_device.get(q(aid)).get_data(as_text=True)
    assert f'href="{q(aid, "/page/3")}#item-q-E4">Reprendre (page 3)</a>' in start
    page = other_device.get(q(aid, "/page/3")).get_data(as_text=True)
    code = items[12][1]
    assert f'checked id="q-{items[12][0]}-{code - 1}"' in page
    assert f'value="{code}"' in page
    assert page.count("checked") == 1


def test_resume_without_a_stored_page_goes_to_the_first_unanswered_page(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    answer_all(person, aid, dict(list(BFI_VALUES.items())[:7]))
    update_assignment(db_app, aid, current_page=0)
    assert f'href="{q(aid, "/page/2")}#item-q-C3">Reprendre (page 2)' in person.get(
        q(aid)
    ).get_data(as_text=True)


# --- completion ---------------------------------------------------------------------------


def test_completion_scores_with_versions_and_closes_the_questionnaire(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    answer_all(person, aid, BFI_VALUES)
    html = person.get(q(aid, "/page/5")).get_data(as_text=True)
    assert 'name="action" value="finish">Terminer</button>' in html
    assert "sans réponse" not in html
    response = person.post(q(aid, "/page/5"), data=page_data({"O5": 6}, action="finish"))
    assert response.status_code == 302
    assert response.headers["Location"] == q(aid, "/merci")

    (record,) = score_records(db_app, aid)
    assert record.instrument_key == "ipip-bfi-25@1.0.0"
    assert record.norm_version == "2026.11-bfi-adults"
    assert record.scores["openness.n"] == 5
    assert record.scores["openness.norm_group"] == "all"
    assert 0 < record.scores["openness.percentile"] < 100
    assert record.scores["validity.seconds_per_item"] == pytest.approx(3.0)  # 25 x 3 s
    assert record.scores["flag.too_fast"] is False
    row = assignment(db_app, aid)
    assert row.status == "completed" and row.completed_at is not None
    assert stored(db_app, aid)["O5"] == 6

    thanks = person.get(q(aid, "/merci")).get_data(as_text=True)
    assert "<h1>Merci !</h1>" in thanks
    assert "lors de votre entretien de restitution" in thanks
    assert "Voir mes résultats" not in thanks

    # closed: no answer, no page, no second score
    closed = autosave(person, aid, "A1", 1)
    assert closed.status_code == 409 and "terminé" in closed.get_json()["error"]
    assert stored(db_app, aid)["A1"] == BFI_VALUES["A1"]
    page = person.get(q(aid, "/page/1"))
    assert page.status_code == 302 and page.headers["Location"] == q(aid, "/merci")
    posted = person.post(q(aid, "/page/1"), data=page_data({"A1": 1}))
    assert posted.status_code == 302
    assert stored(db_app, aid)["A1"] == BFI_VALUES["A1"]
    again = person.post(q(aid, "/terminer"))
    assert again.status_code == 302 and again.headers["Location"] == q(aid, "/merci")
    assert len(score_records(db_app, aid)) == 1
    assert "Terminé" in person.get("/espace/").get_data(as_text=True)


def test_completion_with_unanswered_items_scores_them_as_missing(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    answer_all(person, aid, {k: v for k, v in BFI_VALUES.items() if not k.startswith("O")})
    html = person.get(q(aid, "/page/5")).get_data(as_text=True)
    assert "5 questions sont restées sans réponse" in html
    # each one links to its question (on another page: with the way back to "Terminer")
    assert f'href="{q(aid, "/page/4")}?fin=1#item-q-O1"><span lang="fr">J’ai plein' in html
    assert 'href="#item-q-O5"><span lang="fr">Je n’approfondis' in html
    assert "Terminer quand même" not in html
    page4 = person.get(q(aid, "/page/4?fin=1")).get_data(as_text=True)
    assert 'name="action" value="end">Revenir à « Terminer »</button>' in page4
    assert "Revenir à « Terminer »" not in person.get(q(aid, "/page/4")).get_data(as_text=True)
    back = person.post(q(aid, "/page/4"), data=page_data({"O1": 3}, action="end"))
    assert back.headers["Location"] == q(aid, "/page/5?manquantes=1#manquantes")
    assert stored(db_app, aid)["O1"] == 3  # saved on the way back
    # "Terminer" with questions unanswered: their list first, nothing finished
    response = person.post(q(aid, "/page/5"), data=page_data({}, action="finish"))
    assert response.headers["Location"] == q(aid, "/page/5?manquantes=1#manquantes")
    assert assignment(db_app, aid).status == "in_progress"
    listed = person.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 questions sont restées sans réponse" in listed
    assert 'name="action" value="finish_anyway">Terminer quand même</button>' in listed
    assert 'value="finish">Terminer<' not in listed
    response = person.post(q(aid, "/page/5"), data=page_data({}, action="finish_anyway"))
    assert response.headers["Location"] == q(aid, "/merci")
    (record,) = score_records(db_app, aid)
    assert record.scores["openness.missing"] is True
    assert record.scores["openness.percentile"] is None
    assert record.scores["agreeableness.missing"] is False


def test_completion_refuses_a_ranking_with_a_rank_given_twice(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments["valeurs-travail"]
    answer_all(person, aid, {**IMPORTANCE, **dict(RANKS, RANG_CONDITIONS=1)})
    response = person.post(q(aid, "/terminer"))
    assert response.status_code == 302
    assert response.headers["Location"] == q(aid, "/page/5") + "#item-q-RANG_REUSSITE"
    assert score_records(db_app, aid) == []
    assert assignment(db_app, aid).status == "in_progress"
    message = person.get(response.headers["Location"]).get_data(as_text=True)
    assert "Avant de terminer, 2 points sont à revoir" in message
    assert autosave(person, aid, "RANG_CONDITIONS", 6).status_code == 200
    assert person.post(q(aid, "/terminer")).headers["Location"] == q(aid, "/merci")
    (record,) = score_records(db_app, aid)
    assert record.instrument_key == "valeurs-travail@1.0.0" and record.norm_version is None
    assert record.scores["reussite_classement.mean"] == 6.0  # ranked first


def test_finish_without_csrf_token_and_page_post_without_csrf_token_are_refused(
    csrf_app: Flask, world: World
) -> None:
    client = csrf_app.test_client()
    sign_in_beneficiary(client, csrf_app, world.beneficiary)
    html = client.get(f"/espace/bilans/{world.bilan}/consentement").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token is not None
    ok = client.post(
        f"/espace/bilans/{world.bilan}/consentement",
        data={"csrf_token": token.group(1), "text_version": CONSENT_VERSION, "accept": "1"},
    )
    assert ok.status_code == 302
    aid = world.assignments[BFI]
    assert client.post(q(aid, "/page/1"), data=page_data({"A1": 3})).status_code == 400
    response = autosave(client, aid, "A1", 3)
    assert response.status_code == 400
    assert response.is_json and response.get_json()["status"] == 400
    wrong = client.post(
        q(aid, "/reponses"), json={"item": "A1", "value": 3}, headers={"X-CSRFToken": "faux"}
    )
    assert wrong.status_code == 400
    assert client.post(q(aid, "/terminer")).status_code == 400
    assert stored(csrf_app, aid) == {}
    # with the token (header for the script, field for the form), the same requests pass
    good = client.post(
        q(aid, "/reponses"),
        json={"item": "A1", "value": 3},
        headers={"X-CSRFToken": token.group(1)},
    )
    assert good.status_code == 200
    posted = client.post(q(aid, "/page/1"), data=page_data({"A2": 4}, csrf_token=token.group(1)))
    assert posted.status_code == 302
    assert stored(csrf_app, aid) == {"A1": 3, "A2": 4}


# --- results ------------------------------------------------------------------------------


def test_results_are_visible_only_once_released(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments[BFI]
    assert person.get(q(aid, "/resultats")).status_code == 403  # not completed
    answer_all(person, aid, BFI_VALUES)
    person.post(q(aid, "/terminer"))
    assert person.get(q(aid, "/resultats")).status_code == 403  # after the restitution
    assert "Voir mes résultats" not in person.get("/espace/").get_data(as_text=True)

    import datetime as dt

    update_assignment(db_app, aid, released_at=dt.datetime.now(dt.UTC))
    response = person.get(q(aid, "/resultats"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Mes résultats : Inventaire de personnalité" in html
    assert '<h3 id="scale-openness">Ouverture <span class="level">— ' in html
    # One metric in plain words, with its uncertainty; one term, "rang percentile".
    assert "Rang percentile " in html and "centile" not in html.replace("percentile", "")
    assert re.search(r"probablement entre \d+ et \d+\.", html)
    assert "Note T" not in html and "sur une échelle de 1 à 6" not in html
    # The summary comes first, and the reference group is said in words.
    assert html.index('class="summary"') < html.index("<h2>Détail</h2>")
    assert "Groupe de référence : adultes, tous âges et sexes confondus (normes " in html
    assert any(label in html for label in ("Plutôt bas", "Dans la moyenne", "Plutôt élevé"))
    assert "jamais un verdict" in html
    assert f'href="{q(aid, "/resultats")}">Voir mes résultats' in person.get("/espace/").get_data(
        as_text=True
    )


def test_results_shown_now_when_the_counsellor_chose_so(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments["valeurs-travail"]
    update_assignment(db_app, aid, show_results_now=True)
    assert person.get(q(aid, "/resultats")).status_code == 403  # not yet completed
    answer_all(person, aid, {**IMPORTANCE, **RANKS})
    person.post(q(aid, "/terminer"))
    thanks = person.get(q(aid, "/merci")).get_data(as_text=True)
    assert "choisi de vous montrer vos résultats dès maintenant" in thanks
    assert f'href="{q(aid, "/resultats")}"' in thanks
    html = person.get(q(aid, "/resultats")).get_data(as_text=True)
    assert "<h2>Vos valeurs, de la plus importante à la moins prioritaire</h2>" in html
    # ONE ranking, explained in one sentence, without jargon, coding or signed bars.
    assert "dans l’ordre où vous les avez classées" in html
    names = re.findall(r"<li><strong>([^<]+)</strong>", html)
    # In the order the person ranked them (RANKS), whatever the ratings of part one say.
    assert names == [
        "Réussite", "Indépendance", "Reconnaissance", "Relations", "Soutien",
        "Conditions de travail",
    ]  # fmt: skip
    assert "ipsati" not in html.lower() and "rang 6" not in html and "6 = " not in html
    assert "Classée en" not in html and "data:image/svg+xml" not in html
    assert "Rang percentile" not in html  # no norms for values


def test_riasec_results_show_the_code_or_the_flat_profile_message(
    db_app: Flask, world: World, person: FlaskClient
) -> None:
    aid = world.assignments["riasec-60"]
    inst = db_app.extensions["boussole.instruments"]["riasec-60"]
    update_assignment(db_app, aid, show_results_now=True)
    level = {"R": 4, "I": 3, "A": 2, "S": 1, "E": 0, "C": 0}
    answer_all(person, aid, {it.id: level[it.id[0]] for it in inst.items})
    person.post(q(aid, "/terminer"))
    html = person.get(q(aid, "/resultats")).get_data(as_text=True)
    assert "Votre code : RIA" in html
    assert "des lettres entre crochets sont à égalité" in html
    assert "sur une échelle de 0 à 4" in html

    # a flat profile: a message instead of a code
    from service.extensions import db
    from service.models import Assignment

    with db_app.app_context(), db.standalone() as s:
        row = Assignment(
            bilan_id=world.bilan,
            instrument_id="riasec-60",
            instrument_version="1.0.0",
            show_results_now=True,
        )
        s.add(row)
        s.flush()
        flat = row.id
    answer_all(person, flat, {it.id: 2 for it in inst.items})
    person.post(q(flat, "/terminer"))
    html = person.get(q(flat, "/resultats")).get_data(as_text=True)
    assert "Votre code" not in html
    assert "entre les six types d’intérêts" in html  # the instrument's flat message, typeset


# --- a test instrument with every other item type -----------------------------------------

ESSAI = """\
format_version: 1
id: essai-formats
version: "0.1.0"
languages: [fr, en]
name: {fr: Essai des formats, en: Format trial}
description: {fr: Un questionnaire pour les tests., en: A questionnaire for the tests.}
instructions: {fr: Répondez comme vous le souhaitez., en: Answer as you wish.}
construct: other
licence: Boussole (original)
source: {citation: Boussole}
minutes: 3
sections:
  - id: partie_a
    title: {fr: Première partie, en: Part one}
    instructions: {fr: Quelques questions simples., en: A few simple questions.}
  - {id: partie_b, title: {fr: Seconde partie, en: Part two}}
response_formats:
  accord:
    type: likert
    options:
      - {value: 1, label: {fr: Pas d'accord, en: Disagree}}
      - {value: 2, label: {fr: D'accord, en: Agree}}
  outils:
    type: multiple_choice
    options:
      - {value: 1, label: {fr: Tableur, en: Spreadsheet}}
      - {value: 2, label: {fr: Traitement de texte, en: Word processor}}
      - {value: 3, label: {fr: Messagerie, en: Email}}
  choix:
    type: forced_choice
    options:
      - {value: 1, label: {fr: Travailler seul, en: Working alone}}
      - {value: 2, label: {fr: Travailler en équipe, en: Working in a team}}
  heures: {type: number, min: 0, max: 10, step: 0.5}
  rang3: {type: ranking, size: 3}
  texte: {type: free_text, max_length: 20}
items:
  - {id: EA1, format: accord, section: partie_a, required: true,
     text: {fr: Première affirmation., en: First statement.}}
  - {id: EA2, format: outils, section: partie_a,
     text: {fr: "Quels outils utilisez-vous ?", en: "Which tools do you use?"}}
  - {id: EA3, format: choix, section: partie_a,
     text: {fr: "Que préférez-vous ?", en: "What do you prefer?"}}
  - {id: EB1, format: heures, section: partie_b,
     text: {fr: "Combien d’heures par jour ?", en: "How many hours a day?"}}
  - {id: EB2, format: rang3, block: trio, section: partie_b,
     text: {fr: Le premier énoncé., en: The first statement.}}
  - {id: EB3, format: rang3, block: trio, section: partie_b,
     text: {fr: Le deuxième énoncé., en: The second statement.}}
  - {id: EB4, format: rang3, block: trio, section: partie_b,
     text: {fr: Le troisième énoncé., en: The third statement.}}
  - {id: EB5, format: texte, section: partie_b,
     text: {fr: "Un commentaire ?", en: "A comment?"}}
scales:
  - {id: accord_total, name: {fr: Accord, en: Agreement}, method: mean, items: [EA1]}
  - {id: trio_premier, name: {fr: Premier énoncé, en: First statement}, method: mean,
     items: [-EB2]}
"""


@pytest.fixture
def formats_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app with the built-in instruments and ``essai-formats``, and one beneficiary who
    consented, with that questionnaire assigned (id in ``config["TEST_ASSIGNMENT"]``)."""
    from service.extensions import db
    from service.models import Assignment, Beneficiary, Bilan, Centre, Consent

    path = tmp_path / "essai-formats.yaml"
    path.write_text(ESSAI, encoding="utf-8")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
            "MAIL_FOLDER": str(tmp_path / "mail"),
            "INSTRUMENT_FILES": [*builtin_files(), path],
        }
    )
    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Centre essai")
        s.add(centre)
        s.flush()
        who = Beneficiary(centre_id=centre.id, first_name="Alex", last_name="Essai")
        s.add(who)
        s.flush()
        bilan = Bilan(centre_id=centre.id, beneficiary_id=who.id)
        s.add(bilan)
        s.flush()
        s.add(
            Consent(
                bilan_id=bilan.id,
                beneficiary_id=who.id,
                text_version=CONSENT_VERSION,
                accepted=True,
            )
        )
        row = Assignment(
            bilan_id=bilan.id, instrument_id="essai-formats", instrument_version="0.1.0"
        )
        s.add(row)
        s.flush()
        app.config["TEST_ASSIGNMENT"] = row.id
        app.config["TEST_BENEFICIARY"] = who.id
    yield app
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def formats_client(formats_app: Flask) -> FlaskClient:
    client = formats_app.test_client()
    sign_in_beneficiary(client, formats_app, formats_app.config["TEST_BENEFICIARY"])
    return client


def test_doctests_of_the_journey_modules() -> None:
    """``pytest --doctest-modules`` does not collect ``service``: run these ones here."""
    import doctest

    from service.features.journey import answering, answers, completion, paging

    for module in (answers, answering, completion, paging):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
