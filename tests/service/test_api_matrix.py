"""The API's access matrix, generated from the URL map (issue 14): every operation of
``/api/v1`` (each rule and method) against a table of the one scope it needs. An operation
missing from the table fails, so a new route is placed here from its first commit.

For each operation and each scope, with the world's objects:

- no token: 401; a token with every scope but the needed one: 403;
- a token with the needed scope, of another centre: 404 on an object of this centre (a
  list answers but holds nothing of this centre: checked for the lists below; a creation,
  or a write whose body is checked first, is refused for its empty body, never a 404);
- a token with the needed scope, of the centre: neither 401, 403 nor 5xx (a write with an
  empty body is refused for its content, not for its token); for ``results:read``, a 404
  while the person has not agreed to send their results to that token.
"""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from service.extensions import db
from tests.service.conftest import World
from tests.service.test_api import assert_problem, bearer, make_token

# (method, rule) -> the scope it needs. Reading the bilans' administrative record needs
# bilans:write (docs/api.md says why); results need results:read and the person's agreement.
SCOPES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/instruments"): "instruments:read",
    ("GET", "/api/v1/instruments/<instrument_id>"): "instruments:read",
    ("GET", "/api/v1/instruments/<instrument_id>/norms"): "instruments:read",
    ("GET", "/api/v1/bilans"): "bilans:write",
    ("GET", "/api/v1/bilans/<int:bilan_id>"): "bilans:write",
    ("POST", "/api/v1/beneficiaries"): "bilans:write",
    ("GET", "/api/v1/beneficiaries/<int:beneficiary_id>"): "bilans:write",
    ("PATCH", "/api/v1/beneficiaries/<int:beneficiary_id>"): "bilans:write",
    ("POST", "/api/v1/bilans"): "bilans:write",
    ("PATCH", "/api/v1/bilans/<int:bilan_id>"): "bilans:write",
    ("POST", "/api/v1/bilans/<int:bilan_id>/end"): "bilans:write",
    ("GET", "/api/v1/bilans/<int:bilan_id>/hours"): "bilans:write",
    ("GET", "/api/v1/bilans/<int:bilan_id>/assignments"): "bilans:write",
    ("POST", "/api/v1/bilans/<int:bilan_id>/assignments"): "bilans:write",
    ("GET", "/api/v1/assignments/<int:assignment_id>"): "bilans:write",
    ("POST", "/api/v1/assignments/<int:assignment_id>/invitation"): "bilans:write",
    ("GET", "/api/v1/bilans/<int:bilan_id>/results"): "results:read",
    ("GET", "/api/v1/assignments/<int:assignment_id>/scores"): "results:read",
    ("GET", "/api/v1/assignments/<int:assignment_id>/pistes"): "results:read",
    ("GET", "/api/v1/bilans/<int:bilan_id>/gap"): "results:read",
    ("POST", "/api/v1/assignments/<int:assignment_id>/answers"): "answers:write",
    ("GET", "/api/v1/assignments/<int:assignment_id>/report.pdf"): "results:read",
    ("GET", "/api/v1/bilans/<int:bilan_id>/synthesis.json"): "results:read",
    ("GET", "/api/v1/bilans/<int:bilan_id>/synthesis.docx"): "results:read",
    ("GET", "/api/v1/bilans/<int:bilan_id>/synthesis.pdf"): "results:read",
    ("GET", "/api/v1/bilans/<int:bilan_id>/attestation.pdf"): "bilans:write",
    ("GET", "/api/v1/bilans/<int:bilan_id>/attestation.json"): "bilans:write",
}
# Public: they describe the API, not the centre's data.
PUBLIC = {"/api/v1/openapi.json", "/api/v1/docs"}
# Lists: another centre's token gets a 200 whose data holds nothing of this centre.
LISTS = {"/api/v1/instruments", "/api/v1/bilans"}
# Reference data: any centre's token reads the same (instruments are not a centre's).
SHARED = {
    "/api/v1/instruments",
    "/api/v1/instruments/<instrument_id>",
    "/api/v1/instruments/<instrument_id>/norms",
}


def _operations(app: Flask) -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) of every API operation."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, rule.endpoint))
    return found


def _scope_of(app: Flask, method: str, endpoint: str) -> str:
    view = app.view_functions[endpoint]
    return str(getattr(view.view_class, method.lower()).api_scope)  # type: ignore[attr-defined]


def _url(app: Flask, world: World, endpoint: str, arguments: set[str]) -> str:
    values = {
        "instrument_id": "riasec-60",
        "bilan_id": world.bilan,
        "assignment_id": world.assignments["riasec-60"],
        "beneficiary_id": world.beneficiary,
    }
    with app.test_request_context():
        return app.url_map.bind("localhost").build(endpoint, {a: values[a] for a in arguments})


def _foreign_centre(app: Flask) -> int:
    from service.models import Centre

    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Autre centre")
        s.add(centre)
        s.flush()
        return centre.id


def test_every_operation_is_in_the_table_with_the_scope_it_checks(db_app: Flask) -> None:
    operations = _operations(db_app)
    assert {(m, r) for m, r, _e in operations} == set(SCOPES), "place new API routes here"
    for method, rule, endpoint in operations:
        assert _scope_of(db_app, method, endpoint) == SCOPES[(method, rule)], (method, rule)


def test_every_operation_for_every_scope(db_app: Flask, world: World) -> None:
    from service.models import API_SCOPES

    client = db_app.test_client()
    foreign = _foreign_centre(db_app)
    rules = {r.rule: r for r in db_app.url_map.iter_rules()}
    for method, rule, endpoint in _operations(db_app):
        needed = SCOPES[(method, rule)]
        url = _url(db_app, world, endpoint, set(rules[rule].arguments))
        body = {} if method in ("POST", "PATCH", "PUT") else None

        def call(
            headers: dict[str, str] | None = None,
            url: str = url,
            method: str = method,
            body: dict[str, object] | None = body,
        ) -> TestResponse:
            return client.open(url, method=method, json=body, headers=headers or {})

        assert_problem(call(), 401)
        for scope in API_SCOPES:
            token = make_token(db_app, world.centre, scopes=(scope,), name=f"{scope} {url}")
            answer = call(bearer(token))
            if scope != needed:
                assert_problem(answer, 403)
                assert needed in answer.get_json()["detail_en"]
            elif scope == "results:read":
                # the scope is not enough: the person has not agreed to this token
                # (test_api_results gives the agreement), a 404 that tells nothing
                assert_problem(answer, 404)
            else:
                assert answer.status_code not in (401, 403, 404), (method, url, answer.status)
                assert answer.status_code < 500, (method, url, answer.get_data(as_text=True))
        others = tuple(s for s in API_SCOPES if s != needed)
        assert_problem(call(bearer(make_token(db_app, world.centre, scopes=others))), 403)
        outsider = bearer(make_token(db_app, foreign, scopes=(needed,), name="autre centre"))
        answer = call(outsider)
        if rule in SHARED:
            assert answer.status_code == 200, (method, url)
        elif rule in LISTS and method == "GET":
            assert answer.status_code == 200 and answer.get_json()["data"] == [], url
        elif not rules[rule].arguments:  # a creation: refused for its (empty) content
            assert 400 <= answer.status_code < 500 and answer.status_code != 404, url
        elif body is not None and answer.status_code == 422:
            # a write whose body is checked before its object: the same 422 for any id,
            # about the body only (nothing of the object is told)
            errors = answer.get_json()["errors"]
            assert errors and {e["in"] for e in errors} <= {"body", "header"}, (url, errors)
        else:
            assert_problem(answer, 404)


def test_every_post_takes_an_idempotency_key(db_app: Flask) -> None:
    """Every POST of the document declares ``Idempotency-Key`` (test_api_records retries
    real POSTs with it: one record made)."""
    spec = db_app.test_client().get("/api/v1/openapi.json").get_json()
    posts = [op for item in spec["paths"].values() for m, op in item.items() if m == "post"]
    assert len(posts) == sum(1 for m, _r in SCOPES if m == "POST")
    for op in posts:
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, op["summary"]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_undeclared_methods_are_405_problems(db_app: Flask, world: World, method: str) -> None:
    token = bearer(make_token(db_app, world.centre, scopes=("instruments:read",)))
    answer = db_app.test_client().open("/api/v1/instruments", method=method, headers=token)
    assert_problem(answer, 405)


def test_docs_api_md_names_every_operation() -> None:
    """docs/api.md stays true: every operation of the table is written there as
    ``METHOD /api/v1/path`` (path parameters by any name)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text("utf-8")
    written = {
        (m, re.sub(r"\{[a-z_]+\}", "{}", p))
        for m, p in re.findall(r"`(GET|POST|PATCH) (/api/v1/[^`\s?]+)", text)
    }
    missing = [
        (m, r) for m, r in SCOPES if (m, re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "{}", r)) not in written
    ]
    assert not missing, missing
