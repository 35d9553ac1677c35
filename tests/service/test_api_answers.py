"""Answers submitted through the API (issue 14) and its documents: a whole questionnaire
at once, checked as the pages check it (the same messages, compared with the pages'
own), stored, completed and scored as "Terminer" does; the report, the synthesis once
approved and the attendance attestation; who can and cannot."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from instruments import builtin_files
from service.app import create_app
from service.dates import utcnow
from service.extensions import db
from service.features.api import tokens
from service.features.journey.consent import CONSENT_VERSION
from service.models import (
    Answer,
    Assignment,
    AuditEvent,
    Beneficiary,
    Bilan,
    Centre,
    Consent,
    ResultsSharing,
    ScoreRecord,
    StaffUser,
)
from tests.service.conftest import helpers
from tests.service.test_api import assert_problem, bearer, make_token
from tests.service.test_journey import ESSAI


@dataclass
class Setup:
    app: Flask
    centre: int
    beneficiary: int
    bilan: int
    counsellor: int
    web: dict[str, int]  # instrument id -> assignment answered through the pages
    api: dict[str, int]  # instrument id -> assignment answered through the API
    token: str  # answers:write and results:read, of the centre


INSTRUMENTS = ("riasec-60", "spi-135", "essai-formats")


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    """A centre, a person who consented to their bilan, each instrument assigned twice
    (once for the pages, once for the API), a token of the centre."""
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
    instruments = app.extensions["boussole.instruments"]
    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Centre papier")
        s.add(centre)
        s.flush()
        counsellor = StaffUser(
            centre_id=centre.id, email="claire@papier.fr", name="Claire", role="counsellor",
            password_hash="x",
        )  # fmt: skip
        person = Beneficiary(centre_id=centre.id, first_name="Alex", last_name="Papier")
        s.add_all([counsellor, person])
        s.flush()
        bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
        bilan.counsellors.append(counsellor)
        s.add(bilan)
        s.flush()
        s.add(
            Consent(
                bilan_id=bilan.id,
                beneficiary_id=person.id,
                text_version=CONSENT_VERSION,
                accepted=True,
                recorded_at=utcnow(),
            )
        )
        ids: dict[str, dict[str, int]] = {"web": {}, "api": {}}
        for kind in ids:
            for iid in INSTRUMENTS:
                row = Assignment(
                    bilan_id=bilan.id,
                    instrument_id=iid,
                    instrument_version=instruments[iid].version,
                )
                s.add(row)
                s.flush()
                ids[kind][iid] = row.id
        centre_id, person_id, bilan_id, staff_id = centre.id, person.id, bilan.id, counsellor.id
    token = make_token(app, centre_id, ("answers:write", "results:read"))
    with app.app_context(), db.standalone() as s:
        # the person's agreement to send their results to this token (test_api_results)
        found = tokens.find_token(s, token)
        assert found is not None
        s.add(
            ResultsSharing(
                bilan_id=bilan_id,
                beneficiary_id=person_id,
                api_token_id=found.id,
                recipient_name=found.name,
                decision="accepted",
            )
        )
    yield Setup(app, centre_id, person_id, bilan_id, staff_id, ids["web"], ids["api"], token)
    if db.engine is not None:
        db.engine.dispose()


def submit(setup: Setup, aid: int, body: Any, token: str | None = None, **kw: Any) -> Any:
    return setup.app.test_client().post(
        f"/api/v1/assignments/{aid}/answers", json=body, headers=bearer(token or setup.token), **kw
    )


def stored(app: Flask, aid: int) -> tuple[int, str, int]:
    """(answers stored, status, score records) of an assignment."""
    with app.app_context(), db.standalone() as s:
        n = s.scalar(select(func.count()).select_from(Answer).where(Answer.assignment_id == aid))
        status = s.get(Assignment, aid).status  # type: ignore[union-attr]
        records = s.scalar(
            select(func.count()).select_from(ScoreRecord).where(ScoreRecord.assignment_id == aid)
        )
    return int(n or 0), str(getattr(status, "value", status)), int(records or 0)


def record_of(app: Flask, aid: int) -> tuple[str, str | None, dict[str, Any]]:
    with app.app_context(), db.standalone() as s:
        r = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).one()
        return r.instrument_key, r.norm_version, dict(r.scores)


def person_client(setup: Setup) -> FlaskClient:
    client = setup.app.test_client()
    helpers.sign_in_beneficiary(client, setup.app, setup.beneficiary)
    return client


def web_answer_and_finish(client: FlaskClient, aid: int, values: dict[str, Any]) -> None:
    """The pages' way: every answer by the autosave, then "Terminer"."""
    for item, value in values.items():
        response = client.post(
            f"/espace/questionnaires/{aid}/reponses", json={"item": item, "value": value}
        )
        assert response.status_code == 200, response.get_json()
    assert client.post(f"/espace/questionnaires/{aid}/terminer").status_code == 302


# --- a whole questionnaire: the same scores as the pages ---------------------------------


@pytest.mark.parametrize("iid", ["riasec-60", "spi-135"])
def test_a_whole_questionnaire_is_scored_as_the_pages_score_it(setup: Setup, iid: str) -> None:
    inst = setup.app.extensions["boussole.instruments"][iid]
    codes = [o.value for o in next(iter(inst.formats.values())).options]
    values = {it.id: int(codes[(n * 7) % len(codes)]) for n, it in enumerate(inst.items)}
    web_answer_and_finish(person_client(setup), setup.web[iid], values)
    response = submit(setup, setup.api[iid], {"answers": values})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "completed" and body["completed_at"]
    assert body["answered"] == len(inst.items) and body["scored"] is True
    assert body["links"]["scores"] == f"/api/v1/assignments/{setup.api[iid]}/scores"
    web_key, web_norms, web_scores = record_of(setup.app, setup.web[iid])
    api_key, api_norms, api_scores = record_of(setup.app, setup.api[iid])
    assert api_key == web_key == f"{iid}@{inst.version}"
    assert api_norms == web_norms and body["norm_version"] == web_norms
    assert api_scores == web_scores and len(api_scores) > 10
    with setup.app.app_context(), db.standalone() as s:
        audited = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_submit_answers")
        ).all()
        assert [a.bilan_id for a in audited] == [setup.bilan]
        # The value column is encrypted, as for the pages' answers.
        raw = s.execute(
            select(Answer.__table__.c.value).where(Answer.assignment_id == setup.api[iid])
        ).first()
    assert raw is not None
    # A second submission of a completed questionnaire is refused: nothing changes.
    again = submit(setup, setup.api[iid], {"answers": values})
    assert_problem(again, 409)
    assert stored(setup.app, setup.api[iid])[2] == 1


def test_scores_prepared_before_the_lock_count_only_for_the_same_inputs(setup: Setup) -> None:
    """A submission scores before the write lock (completion.prepare); complete() keeps
    those scores only when the answers, time and norms it reads under the lock are the
    ones they were computed from, else it scores again."""
    from service.features.journey import completion, store
    from service.models import Assignment as Row

    inst = setup.app.extensions["boussole.instruments"]["riasec-60"]
    codes = [o.value for o in next(iter(inst.formats.values())).options]
    values = {it.id: int(codes[n % len(codes)]) for n, it in enumerate(inst.items)}
    marker = ({"marker": 1.0}, "marked@0", None)
    results = {}
    for label, aid, given in (
        ("same", setup.api["riasec-60"], values),
        ("changed", setup.web["riasec-60"], {**values, inst.items[0].id: int(codes[-1])}),
    ):
        with setup.app.app_context(), setup.app.test_request_context(), db.standalone() as s:
            row = s.get(Row, aid)
            assert row is not None
            ready = completion.prepare(s, row, inst, given, 0.0)
            assert ready.scored[1] == f"riasec-60@{inst.version}"  # really scored
            fake = completion.Prepared(ready.answers, ready.seconds, ready.norms, marker)
            store.open_for_answers(s, aid)
            store.upsert_answers(s, aid, values)
            done = completion.complete(s, row, inst, per_page=10, prepared=fake)
            assert done.record is not None
            results[label] = (done.record.instrument_key, done.record.scores)
    assert results["same"] == ("marked@0", {"marker": 1.0})  # the prepared scores, kept
    key, scores = results["changed"]  # inputs differ: scored again, never the marker
    assert key == f"riasec-60@{inst.version}" and "marker" not in scores


def test_complete_false_stores_only_and_a_later_submission_completes(setup: Setup) -> None:
    aid = setup.api["essai-formats"]
    first = submit(setup, aid, {"answers": {"EA1": 2, "EB1": "2,5"}, "complete": False})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "in_progress" and first.get_json()["scored"] is False
    assert first.get_json()["links"]["scores"] is None
    assert stored(setup.app, aid) == (2, "in_progress", 0)
    done = submit(setup, aid, {"answers": {"EB2": 1, "EB3": 3, "EB4": 2}, "seconds": 600})
    assert done.status_code == 201, done.get_json()
    assert stored(setup.app, aid) == (5, "completed", 1)
    scores = record_of(setup.app, aid)[2]
    assert scores["accord_total.mean"] == 2 and scores["trio_premier.n"] == 1


# --- each refusal of the pages, with the pages' message ----------------------------------


def page_errors(client: FlaskClient, aid: int, page: int, data: dict[str, Any]) -> dict[str, str]:
    """The error messages a page shows for a submission: item id -> message."""
    response = client.post(
        f"/espace/questionnaires/{aid}/page/{page}", data={**data, "action": "next"}
    )
    assert response.status_code == 422, response.status_code
    text = response.get_data(as_text=True)
    found = re.findall(
        r'<p class="field-error" id="err-q-([A-Za-z0-9_]+)">'
        r'<span class="visually-hidden">[^<]*</span>([^<]*)</p>',
        text,
    )
    return {item: html.unescape(message).strip() for item, message in found}


CASES = [
    # (API answers, the page and form data that give the same refusals)
    ({"EB1": "abc"}, 2, {"q-EB1": "abc"}),
    ({"EB1": 11}, 2, {"q-EB1": "11"}),
    ({"EB1": 0.3}, 2, {"q-EB1": "0,3"}),
    ({"EA1": 3}, 1, {"q-EA1": "3"}),
    ({"EA1": 2, "EA2": [1, 9]}, 1, {"q-EA1": "2", "q-EA2": ["1", "9"]}),
    ({"EB5": "x" * 30}, 2, {"q-EB5": "x" * 30}),
    ({"EB2": 4}, 2, {"q-EB2": "4"}),
    ({"EB2": 1, "EB3": 1, "EB4": 2}, 2, {"q-EB2": "1", "q-EB3": "1", "q-EB4": "2"}),
    ({"EB2": 1, "EB3": None, "EB4": None}, 2, {"q-EB2": "1"}),  # a block ranked in part
    ({"EA1": None, "EA3": 1}, 1, {"q-EA3": "1"}),  # the required EA1 left unanswered
]


@pytest.mark.parametrize(("answers", "page", "form"), CASES)
def test_each_refusal_has_the_pages_message(
    setup: Setup, answers: dict[str, Any], page: int, form: dict[str, Any]
) -> None:
    web = page_errors(person_client(setup), setup.web["essai-formats"], page, form)
    assert web, "the page refuses it too"
    aid = setup.api["essai-formats"]
    # With the other answers valid: the refusals are these answers' only (null: left out).
    ok = {"EA1": 1, "EB1": 1, "EB2": 2, "EB3": 3, "EB4": 1}
    body = assert_problem(submit(setup, aid, {"answers": {**ok, **answers}}), 422)
    api = {e["field"]: e for e in body["errors"]}
    for item, message in web.items():
        assert api[item]["detail_fr"] == message, item
        assert api[item]["messages"] == [message] and api[item]["in"] == "body"
        assert api[item]["detail_en"] and api[item]["detail_en"] != message
    # The summary is the pages' sentence ("Avant de terminer : ..."), in both languages.
    assert body["detail_fr"].startswith("Avant de terminer")
    assert body["detail_en"].startswith("Before finishing")
    assert stored(setup.app, aid) == (0, "not_started", 0), "nothing is stored"


def test_unknown_items_wrong_types_and_huge_numbers_are_refused_whole(setup: Setup) -> None:
    aid = setup.api["essai-formats"]
    answers = {
        "EA1": True,  # a boolean is not an answer code
        "EA2": {"a": 1},
        "EB1": 1e308 * 10,  # JSON "Infinity" is not sent; a huge float overflows to inf
        "EB5": 12,
        "ZZ9": 1,
    }
    body = assert_problem(submit(setup, aid, {"answers": answers}), 422)
    fields = [e["field"] for e in body["errors"]]
    assert set(fields) == {"EA1", "EA2", "EB1", "EB5", "ZZ9", "EB2", "EB3", "EB4"} - {
        "EB2", "EB3", "EB4"
    }  # fmt: skip
    assert fields[-1] == "ZZ9"  # unknown items after the questionnaire's own
    by = {e["field"]: e["detail_fr"] for e in body["errors"]}
    assert "ne fait pas partie du questionnaire" in by["ZZ9"]
    assert "pas un nombre" in by["EA1"] and "en chiffres" in by["EB1"]
    assert "texte" in by["EB5"]
    huge = setup.app.test_client().post(
        f"/api/v1/assignments/{aid}/answers",
        data='{"answers": {"EB1": 1' + "0" * 400 + "}}",
        content_type="application/json",
        headers=bearer(setup.token),
    )
    assert_problem(huge, 422, "EB1")
    assert stored(setup.app, aid) == (0, "not_started", 0)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"answers": {"EA1": "1\x00"}}, 400, "EA1"),
        ({"answers": {"EA\x001": 1}}, 400, None),
        ({"answers": [1, 2]}, 422, "answers"),
        ({}, 422, "answers"),
        ({"answers": {}, "seconds": -1}, 422, "seconds"),
        ({"answers": {}, "seconds": 1e12}, 422, "seconds"),
        ({"answers": {}, "complete": "yes"}, 422, "complete"),
        ({"answers": {}, "other": 1}, 422, "other"),
        ({"answers": {"x" * 101: 1}}, 422, "answers"),
        ("not an object", 422, None),
    ],
)
def test_malformed_bodies_are_clear_4xx(
    setup: Setup, body: Any, status: int, field: str | None
) -> None:
    aid = setup.api["essai-formats"]
    assert_problem(submit(setup, aid, body), status, field)
    assert stored(setup.app, aid) == (0, "not_started", 0)


def test_unreadable_and_oversized_bodies(setup: Setup) -> None:
    aid = setup.api["essai-formats"]
    client = setup.app.test_client()
    url = f"/api/v1/assignments/{aid}/answers"
    bad = client.post(url, data="{", content_type="application/json", headers=bearer(setup.token))
    assert_problem(bad, 400)
    big = json.dumps({"answers": {"EB5": "x" * 200_000}})
    assert_problem(
        client.post(url, data=big, content_type="application/json", headers=bearer(setup.token)),
        413,
    )
    assert stored(setup.app, aid) == (0, "not_started", 0)


# --- who may submit ----------------------------------------------------------------------


def _set(app: Flask, **changes: Any) -> None:
    with app.app_context(), db.standalone() as s:
        bilan = s.scalars(select(Bilan)).first()
        assert bilan is not None
        for key, value in changes.items():
            setattr(bilan, key, value)


def test_no_consent_means_nothing_administered(setup: Setup) -> None:
    with setup.app.app_context(), db.standalone() as s:
        s.add(
            Consent(
                bilan_id=setup.bilan,
                beneficiary_id=setup.beneficiary,
                text_version=CONSENT_VERSION,
                accepted=False,
                recorded_at=utcnow(),
            )
        )
    aid = setup.api["riasec-60"]
    body = assert_problem(submit(setup, aid, {"answers": {"R01": 1}}), 409)
    assert "accord" in body["detail_fr"] and "consent" in body["detail_en"]
    assert stored(setup.app, aid) == (0, "not_started", 0)


def test_a_bilan_never_consented_to_is_refused(setup: Setup) -> None:
    with setup.app.app_context(), db.standalone() as s:
        for row in s.scalars(select(Consent)):
            s.delete(row)
    assert_problem(submit(setup, setup.api["riasec-60"], {"answers": {"R01": 1}}), 409)


@pytest.mark.parametrize("change", ["ended_at", "content_destroyed_at"])
def test_an_ended_or_destroyed_bilan_takes_no_answers(setup: Setup, change: str) -> None:
    _set(setup.app, **{change: utcnow()})
    aid = setup.api["riasec-60"]
    body = assert_problem(submit(setup, aid, {"answers": {"R01": 1}}), 409)
    assert "terminé" in body["detail_fr"]
    assert stored(setup.app, aid) == (0, "not_started", 0)


def test_other_centres_and_other_scopes_are_refused(setup: Setup) -> None:
    other = helpers.other_centre(setup.app)
    foreign = make_token(setup.app, other.centre, ("answers:write", "results:read"))
    aid = setup.api["riasec-60"]
    assert_problem(submit(setup, aid, {"answers": {"R01": 1}}, foreign), 404, "assignment_id")
    reader = make_token(setup.app, setup.centre, ("results:read", "bilans:write"))
    assert_problem(submit(setup, aid, {"answers": {"R01": 1}}, reader), 403)
    assert_problem(submit(setup, 2_000_000, {"answers": {"R01": 1}}), 404)
    assert stored(setup.app, aid) == (0, "not_started", 0)


# --- documents ---------------------------------------------------------------------------


def get(setup: Setup, url: str, token: str | None = None) -> Any:
    return setup.app.test_client().get(url, headers=bearer(token or setup.token))


def test_the_report_of_a_completed_questionnaire(setup: Setup) -> None:
    aid = setup.api["riasec-60"]
    url = f"/api/v1/assignments/{aid}/report.pdf"
    assert_problem(get(setup, url), 409)  # not completed yet
    inst = setup.app.extensions["boussole.instruments"]["riasec-60"]
    assert submit(setup, aid, {"answers": {it.id: 3 for it in inst.items}}).status_code == 201
    response = get(setup, url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    other = helpers.other_centre(setup.app)
    assert_problem(get(setup, url, make_token(setup.app, other.centre, ("results:read",))), 404)
    writer = make_token(setup.app, setup.centre, ("answers:write", "bilans:write"))
    assert_problem(get(setup, url, writer), 403)
    with setup.app.app_context(), db.standalone() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "api_report_pdf")) == 1


def _approve_synthesis(setup: Setup) -> None:
    from service.features.synthesis import service as synthesis

    with setup.app.app_context(), setup.app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, setup.bilan)
        author = s.get(StaffUser, setup.counsellor)
        assert bilan is not None and author is not None
        synthesis.save_draft(
            s,
            bilan,
            author,
            {"circumstances": "Reconversion choisie.", "competences": "Gestion de projet.",
             "project": "Devenir formatrice."},
        )  # fmt: skip
        version = synthesis.share(s, bilan)
        synthesis.approve(s, bilan, version.version)


@pytest.mark.parametrize("fmt", ["json", "docx", "pdf"])
def test_the_synthesis_only_once_approved(setup: Setup, fmt: str) -> None:
    url = f"/api/v1/bilans/{setup.bilan}/synthesis.{fmt}"
    body = assert_problem(get(setup, url), 409)
    assert "approuvé" in body["detail_fr"]
    _approve_synthesis(setup)
    response = get(setup, url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    if fmt == "pdf":
        assert response.data.startswith(b"%PDF")
    elif fmt == "docx":
        names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
        assert "word/document.xml" in names
    else:
        text = response.get_data(as_text=True)
        assert "Devenir formatrice." in text and "Reconversion choisie." in text
    other = helpers.other_centre(setup.app)
    foreign = make_token(setup.app, other.centre, ("results:read",))
    assert_problem(get(setup, url, foreign), 404, "bilan_id")
    assert_problem(get(setup, url, make_token(setup.app, setup.centre, ("bilans:write",))), 403)


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_the_attestation_has_no_content(setup: Setup, fmt: str) -> None:
    url = f"/api/v1/bilans/{setup.bilan}/attestation.{fmt}"
    manager = make_token(setup.app, setup.centre, ("bilans:write",))
    inst = setup.app.extensions["boussole.instruments"]["riasec-60"]
    submit(setup, setup.api["riasec-60"], {"answers": {it.id: 1 for it in inst.items}})
    response = get(setup, url, manager)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    if fmt == "pdf":
        assert response.data.startswith(b"%PDF")
    else:
        data = response.get_json()
        assert data["bilan_id"] == setup.bilan and data["questionnaires_done"] == 1
        assert "scores" not in response.get_data(as_text=True)
    assert_problem(get(setup, url), 403)  # results:read is not the scope of this record
    other = helpers.other_centre(setup.app)
    assert_problem(get(setup, url, make_token(setup.app, other.centre, ("bilans:write",))), 404)


def test_a_missing_pdf_engine_is_a_503_problem(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports.restitution import PdfUnavailable
    from service.features.followup import attendance

    def missing(*args: Any, **kwargs: Any) -> bytes:
        raise PdfUnavailable("WeasyPrint n’est pas installé.")

    monkeypatch.setattr(attendance, "attendance_pdf", missing)
    manager = make_token(setup.app, setup.centre, ("bilans:write",))
    response = get(setup, f"/api/v1/bilans/{setup.bilan}/attestation.pdf", manager)
    body = assert_problem(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert "WeasyPrint" in body["detail_fr"]
