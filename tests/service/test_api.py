"""The integration API's foundation (issue 14): tokens (shown once, stored hashed, scoped,
expiring, revocable), bearer authentication, problem+json errors, ETags, cursor
pagination, the generated OpenAPI document and the instrument resources."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from service.app import create_app
from service.extensions import db
from tests.service.conftest import World, helpers

TOKEN = re.compile(r"bsl_[A-Za-z0-9_-]{43}")


def make_token(
    app: Flask,
    centre_id: int,
    scopes: tuple[str, ...] = ("instruments:read",),
    *,
    days: int = 90,
    now: dt.datetime | None = None,
    name: str = "Logiciel de gestion",
) -> str:
    from service.features.api import tokens

    with app.app_context(), app.test_request_context(), db.standalone() as s:
        new = tokens.create_token(
            s, centre_id=centre_id, name=name, scopes=scopes, days=days, created_by=None, now=now
        )
        return new.raw


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def assert_problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"] and body["detail_fr"] and body["detail_en"]
    assert body["detail"] == body["detail_fr"]  # French first
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.fixture
def admin(db_app: Flask, world: World) -> FlaskClient:
    client = db_app.test_client()
    helpers.sign_in_staff(client, "admin@test.fr")
    return client


# --- tokens: the admin pages ---------------------------------------------------------


def test_a_token_is_shown_once_and_stored_hashed(db_app: Flask, admin: FlaskClient) -> None:
    page = admin.post(
        "/admin/api/jetons",
        data={"name": "Logiciel de formation", "scopes": ["instruments:read"], "days": "90"},
    )
    assert page.status_code == 200
    raw = TOKEN.findall(page.get_data(as_text=True))
    assert len(raw) == 1, "the new token is shown, once"
    token = raw[0]
    listing = admin.get("/admin/api/jetons").get_data(as_text=True)
    assert "Logiciel de formation" in listing
    assert token not in listing and not TOKEN.search(listing)
    with db_app.app_context(), db.standalone() as s:
        rows = s.execute(text("SELECT * FROM api_token")).mappings().all()
    assert len(rows) == 1
    dump = " ".join(str(v) for v in rows[0].values())
    assert token not in dump and token[4:] not in dump
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert rows[0]["scopes"] == "instruments:read"
    from service.models import ApiToken

    with db_app.app_context(), db.standalone() as s:
        stored = s.query(ApiToken).one()
        assert stored.expires_at - stored.created_at == dt.timedelta(days=90)
    # It works, and its use is noted.
    assert admin.get("/api/v1/instruments", headers=bearer(token)).status_code == 200
    with db_app.app_context(), db.standalone() as s:
        used = s.execute(text("SELECT last_used_at FROM api_token")).scalar()
    assert used is not None
    # Written down to the minute, not at every call (one write less per read).
    assert admin.get("/api/v1/instruments", headers=bearer(token)).status_code == 200
    with db_app.app_context(), db.standalone() as s:
        again = s.execute(text("SELECT last_used_at FROM api_token")).scalar()
    assert again == used


def test_a_revoked_token_is_refused(db_app: Flask, world: World, admin: FlaskClient) -> None:
    token = make_token(db_app, world.centre)
    with db_app.app_context(), db.standalone() as s:
        token_id = s.execute(text("SELECT id FROM api_token")).scalar()
    client = db_app.test_client()
    assert client.get("/api/v1/instruments", headers=bearer(token)).status_code == 200
    assert admin.post(f"/admin/api/jetons/{token_id}/revoquer").status_code == 302
    body = assert_problem(client.get("/api/v1/instruments", headers=bearer(token)), 401)
    assert "révoqué" in body["detail_fr"] and "revoked" in body["detail_en"]
    assert "Révoqué" in admin.get("/admin/api/jetons").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "scopes": ["instruments:read"], "days": "90"}, "name", "Indiquez le nom"),
        ({"name": "Outil", "days": "90"}, "scopes", "au moins un droit"),
        ({"name": "Outil", "scopes": ["tout:faire"], "days": "90"}, "scopes", "au moins un droit"),
        ({"name": "Outil", "scopes": ["instruments:read"], "days": "367"}, "days", "1 à 366"),
        ({"name": "Outil", "scopes": ["instruments:read"], "days": "abc"}, "days", "1 à 366"),
        ({"name": "Outil", "scopes": ["instruments:read"], "days": "0"}, "days", "1 à 366"),
    ],
)
def test_a_bad_token_form_names_the_field_and_creates_nothing(
    db_app: Flask, admin: FlaskClient, data: dict, field: str, message: str
) -> None:
    page = admin.post("/admin/api/jetons", data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert message in html
    assert f'href="#{field}"' in html
    assert not TOKEN.search(html)
    with db_app.app_context(), db.standalone() as s:
        assert s.execute(text("SELECT count(*) FROM api_token")).scalar() == 0


def test_only_the_centre_s_admin_manages_its_tokens(db_app: Flask, world: World) -> None:
    make_token(db_app, world.centre, name="Jeton du centre")
    with db_app.app_context(), db.standalone() as s:
        token_id = s.execute(text("SELECT id FROM api_token")).scalar()
    helpers.other_centre(db_app, staff=(("root@autre.fr", "admin"),))
    foreign = db_app.test_client()
    helpers.sign_in_staff(foreign, "root@autre.fr")
    assert "Jeton du centre" not in foreign.get("/admin/api/jetons").get_data(as_text=True)
    assert foreign.post(f"/admin/api/jetons/{token_id}/revoquer").status_code == 404
    counsellor = db_app.test_client()
    helpers.sign_in_staff(counsellor, "claire@test.fr")
    assert counsellor.get("/admin/api/jetons").status_code == 403
    with db_app.app_context(), db.standalone() as s:
        assert s.execute(text("SELECT revoked_at FROM api_token")).scalar() is None


# --- authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic abc", "Bearer bsl_inconnu", "Bearer pas-un-jeton", "bearer  "],
)
def test_no_valid_token_is_a_401(db_app: Flask, world: World, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = db_app.test_client().get("/api/v1/instruments", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_a_401(db_app: Flask, world: World) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    token = make_token(db_app, world.centre, days=5, now=past)
    body = assert_problem(
        db_app.test_client().get("/api/v1/instruments", headers=bearer(token)), 401
    )
    assert "expiré" in body["detail_fr"] and "expired" in body["detail_en"]


def test_a_token_without_the_scope_is_a_403(db_app: Flask, world: World) -> None:
    token = make_token(db_app, world.centre, scopes=("results:read", "bilans:write"))
    body = assert_problem(
        db_app.test_client().get("/api/v1/instruments/riasec-60", headers=bearer(token)), 403
    )
    assert "instruments:read" in body["detail_fr"] and "instruments:read" in body["detail_en"]


def _api_rules(app: Flask, world: World) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) of every rule of the API blueprint, each of its methods."""
    values = {
        "instrument_id": "riasec-60",
        "bilan_id": world.bilan,
        "beneficiary_id": world.beneficiary,
        "assignment_id": world.assignments["riasec-60"],
    }
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return [
            (method, adapter.build(r.endpoint, {a: values[a] for a in r.arguments}), r.endpoint)
            for r in app.url_map.iter_rules()
            if r.endpoint.startswith("api.")
            for method in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})
        ]


def test_every_api_rule_refuses_anonymous_and_wrong_scope(db_app: Flask, world: World) -> None:
    """Generated from the URL map: every rule and method of the API blueprint (a new one
    included). The writes are refused before they read their body."""
    from service.models import API_SCOPES

    rules = _api_rules(db_app, world)
    assert len(rules) >= 5
    client = db_app.test_client()
    needed = {}
    for method, url, endpoint in rules:
        assert_problem(client.open(url, method=method, json={}), 401)
        view = db_app.view_functions[endpoint]
        scope = getattr(view.view_class, method.lower()).api_scope  # type: ignore[attr-defined]
        needed[(method, url)] = scope
        others = tuple(s for s in API_SCOPES if s != scope)
        wrong = make_token(db_app, world.centre, scopes=others, name=f"sans {scope}")
        assert_problem(client.open(url, method=method, json={}, headers=bearer(wrong)), 403)
        if method == "GET":
            right = make_token(db_app, world.centre, scopes=(scope,), name=f"avec {scope}")
            # results:read also needs the person's agreement to that token (test_api_results):
            # without it, a 404 that does not reveal the bilan.
            expected = 404 if scope == "results:read" else 200
            assert client.get(url, headers=bearer(right)).status_code == expected, url
    assert set(needed.values()) == set(API_SCOPES)


# --- resources ------------------------------------------------------------------------


@pytest.fixture
def api(db_app: Flask, world: World) -> Iterator[tuple[FlaskClient, dict[str, str]]]:
    yield db_app.test_client(), bearer(make_token(db_app, world.centre))


def test_the_instruments_list_is_paged_by_cursor(db_app: Flask, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    installed = sorted(db_app.extensions["boussole.instruments"])
    assert len(installed) > 5
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/instruments", query_string=query, headers=headers).get_json()
        assert len(body["data"]) <= 2
        seen += [i["id"] for i in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert "riasec" not in cursor and "ipip" not in cursor  # opaque
    assert seen == installed
    assert pages == (len(installed) + 1) // 2
    first = client.get("/api/v1/instruments", headers=headers).get_json()
    assert len(first["data"]) == min(50, len(installed))


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "101"}, 422, "limit"),
        ({"limit": "9" * 40}, 422, "limit"),
        ({"limit": "deux"}, 422, "limit"),
        ({"cursor": "pas-un-curseur"}, 400, "cursor"),
        ({"cursor": "x" * 500}, 422, "cursor"),
        ({"cursor": "a\x00b"}, 422, "cursor"),
    ],
)
def test_bad_paging_parameters_are_4xx_problems(api, query, status, field) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    assert_problem(
        client.get("/api/v1/instruments", query_string=query, headers=headers), status, field
    )


def test_reads_carry_an_etag_and_answer_304(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    first = client.get("/api/v1/instruments/riasec-60", headers=headers)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{20,}"', etag)
    again = client.get("/api/v1/instruments/riasec-60", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/api/v1/instruments/riasec-60", headers={**headers, "If-None-Match": '"x"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag
    assert client.get("/api/v1/instruments/ipip-bfi-25", headers=headers).headers["ETag"] != etag


def test_an_instrument_definition_in_french_and_english(db_app: Flask, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    instrument = db_app.extensions["boussole.instruments"]["riasec-60"]
    body = client.get("/api/v1/instruments/riasec-60", headers=headers).get_json()
    assert body["id"] == "riasec-60" and body["version"] == instrument.version
    assert len(body["items"]) == len(instrument.items) == 60
    first = instrument.items[0]
    assert body["items"][0] == {
        "id": first.id,
        "text": {"fr": first.text.fr, "en": first.text.en},
        "format": first.format,
        "section": first.section,
        "required": first.required,
    }
    assert first.text.en and body["items"][0]["text"]["en"] != body["items"][0]["text"]["fr"]
    assert [s["id"] for s in body["scales"]] == [s.id for s in instrument.scales]
    assert sorted(m["item"] for s in body["scales"] for m in s["members"]) == sorted(
        m.item for s in instrument.scales for m in s.members
    )


def test_an_unknown_instrument_is_a_404_problem(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    body = assert_problem(client.get("/api/v1/instruments/nexiste-pas", headers=headers), 404)
    assert "nexiste-pas" in body["detail_fr"]
    assert_problem(client.get("/api/v1/instruments/" + "x" * 5000, headers=headers), 404)
    assert_problem(client.get("/api/v1/nulle-part", headers=headers), 404)
    assert_problem(client.post("/api/v1/instruments", headers=headers), 405)


def test_norms_show_the_token_s_centre_only(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    from service.models import LocalNorm

    client, headers = api
    instrument = db_app.extensions["boussole.instruments"]["ipip-bfi-25"]
    other = helpers.other_centre(db_app)
    with db_app.app_context(), db.standalone() as s:
        for centre, version in (
            (world.centre, "local:1:2026-12-01:80"),
            (other.centre, "local:2:2026-12-01:99"),
        ):
            s.add(
                LocalNorm(
                    centre_id=centre,
                    instrument_id=instrument.id,
                    instrument_version=instrument.version,
                    norm_version=version,
                    n=80,
                    min_n=30,
                    table={},
                )
            )
    body = client.get("/api/v1/instruments/ipip-bfi-25/norms", headers=headers).get_json()
    versions = {row["version"]: row for row in body["data"]}
    assert "local:1:2026-12-01:80" in versions and "local:2:2026-12-01:99" not in versions
    shipped = [r for r in body["data"] if r["source"] == "shipped"]
    assert len(shipped) == 1 and shipped[0]["current"] is True
    assert versions["local:1:2026-12-01:80"]["current"] is False
    theirs = bearer(make_token(db_app, other.centre))
    body = client.get("/api/v1/instruments/ipip-bfi-25/norms", headers=theirs).get_json()
    assert [r["version"] for r in body["data"] if r["source"] == "local"] == [
        "local:2:2026-12-01:99"
    ]


# --- bad input, errors ----------------------------------------------------------------


def test_malformed_bodies_and_nul_characters_are_4xx_problems(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    for response in (
        # No resource reads a body yet: a malformed one is refused before any view.
        client.post(
            "/api/v1/instruments",
            data="{pas du json",
            headers={**headers, "Content-Type": "application/json"},
        ),
        client.post(
            "/api/v1/instruments",
            data="[" * 100 + "]" * 100,
            headers={**headers, "Content-Type": "application/json"},
        ),
        client.get("/api/v1/instruments", query_string={"limit": "1" * 5000}, headers=headers),
        client.get("/api/v1/instruments?limit=1%00", headers=headers),
        client.get("/api/v1/instruments/riasec%00", headers=headers),
    ):
        assert 400 <= response.status_code < 500
        assert response.mimetype == "application/problem+json"
        assert response.get_json(force=True)["detail_fr"]


def test_english_detail_is_english(db_app: Flask, world: World) -> None:
    body = assert_problem(db_app.test_client().get("/api/v1/instruments"), 401)
    assert body["detail_fr"] != body["detail_en"]
    assert "token" in body["detail_en"].lower()


def test_html_pages_keep_their_error_pages(db_app: Flask) -> None:
    response = db_app.test_client().get("/page-qui-nexiste-pas")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_rate_limit_is_per_token_and_a_429_problem(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
            "MAIL_FOLDER": str(tmp_path / "mail"),
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "3/minute",
        }
    )
    from service.models import Centre

    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Centre")
        s.add(centre)
        s.flush()
        centre_id = centre.id
    one, two = make_token(app, centre_id, name="un"), make_token(app, centre_id, name="deux")
    client = app.test_client()
    codes = [client.get("/api/v1/instruments", headers=bearer(one)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert_problem(client.get("/api/v1/instruments", headers=bearer(one)), 429)
    assert client.get("/api/v1/instruments", headers=bearer(two)).status_code == 200
    # Made-up tokens share the address's bucket: a fresh one each time gets no fresh limit.
    made_up = [
        client.get("/api/v1/instruments", headers=bearer(f"bsl_invente{k}")).status_code
        for k in range(4)
    ]
    assert made_up == [401, 401, 401, 429]
    db.engine.dispose()


# --- the OpenAPI document and the documentation page ------------------------------------


def test_the_openapi_document_is_generated_and_complete(db_app: Flask) -> None:
    client = db_app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] == "Boussole" and spec["info"]["version"] == "v1"
    with db_app.test_request_context():
        views = {
            (re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.rule), m.lower()): db_app.view_functions[
                r.endpoint
            ]
            for r in db_app.url_map.iter_rules()
            if r.endpoint.startswith("api.")
            for m in (r.methods or set()) - {"HEAD", "OPTIONS"}
        }
    documented = {(p, m) for p, item in spec["paths"].items() for m in item if m != "parameters"}
    assert views and set(views) == documented
    schemas = spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, op in ((m, o) for m, o in item.items() if m != "parameters"):
            # the scope of the view's @requires, as the bearer scheme's role
            scope = getattr(views[(path, method)].view_class, method).api_scope
            assert op["security"] == [{"bearer": [scope]}], (path, method)
            ok = "201" if "201" in op["responses"] else "200"
            for code in (ok, "401", "403", "422"):
                assert code in op["responses"], (path, method, code)
            if method == "get":
                assert "304" in op["responses"], path
                assert "ETag" in op["responses"]["200"]["headers"], path
                headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
                assert "If-None-Match" in headers, path
            # bilingual: "Résumé / Summary", then a French paragraph and an English one
            assert " / " in op["summary"], (path, method)
            assert len(op["description"].split("\n\n")) == 2, (path, method)
            assert "Scope: `" in op["description"], (path, method)
            for content in op["responses"][ok]["content"].values():
                if "$ref" in content.get("schema", {}):
                    assert content["schema"]["$ref"].split("/")[-1] in schemas
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "limit" in {p["name"] for p in spec["paths"]["/api/v1/instruments"]["get"]["parameters"]}


def test_the_documentation_page_is_ours_and_script_free(db_app: Flask) -> None:
    response = db_app.test_client().get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Documentation de l’API" in html
    assert "GET /api/v1/instruments/{instrument_id}/norms" in html
    assert "<script" not in html.split("</header>")[-1].split("<footer")[0]
    assert "cdn" not in html.lower()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # the document's `code` spans as <code>, never as backticks
    assert "<code>instruments:read</code>" in html
    main = html.split("</header>")[-1].split("<footer")[0]
    assert "`" not in main
    assert '<p lang="en">Scope: <code>bilans:write</code>.' in html


def test_code_spans_escape_the_text_before_marking_it_up() -> None:
    from service.features.api.views_docs import code_spans, paragraphs

    assert str(code_spans("a `<b>` & `x`")) == "a <code>&lt;b&gt;</code> &amp; <code>x</code>"
    assert str(code_spans('<script>alert("`")</script>')) == (
        "&lt;script&gt;alert(&#34;`&#34;)&lt;/script&gt;"
    )
    assert str(code_spans(None)) == ""
    assert [str(p) for p in paragraphs("Droit : `a`.\n  suite\n\nScope: `a`.")] == [
        "Droit : <code>a</code>. suite",
        "Scope: <code>a</code>.",
    ]


# --- bilans: administrative fields, the token's centre only, audited ----------------------


def test_bilans_are_the_token_s_centre_s_only_and_audited(db_app: Flask, world: World) -> None:
    other = helpers.other_centre(db_app, staff=(("lea@autre.fr", "counsellor"),), beneficiary=True)
    ours = bearer(make_token(db_app, world.centre, scopes=("bilans:write",), name="Gestion"))
    theirs = bearer(make_token(db_app, other.centre, scopes=("bilans:write",), name="Autre"))
    client = db_app.test_client()
    first = client.get("/api/v1/bilans", query_string={"limit": 1}, headers=ours).get_json()
    assert [b["id"] for b in first["data"]] == [world.bilan]
    second = client.get(
        "/api/v1/bilans", query_string={"cursor": first["next_cursor"]}, headers=ours
    ).get_json()
    assert [b["id"] for b in second["data"]] == [world.other_bilan]
    assert second["next_cursor"] is None
    record = client.get(f"/api/v1/bilans/{world.bilan}", headers=ours).get_json()
    assert record["id"] == world.bilan and record["beneficiary_id"] == world.beneficiary
    assert set(record) >= {"status", "funding", "convention_date", "start_date", "planned_end"}
    assert not {"objectives", "report_comment", "first_name", "last_name"} & set(record)
    # another centre's token sees nothing of this centre
    assert_problem(client.get(f"/api/v1/bilans/{world.bilan}", headers=theirs), 404, "bilan_id")
    listed = client.get("/api/v1/bilans", headers=theirs).get_json()
    assert [b["id"] for b in listed["data"]] == [other.bilan]
    assert_problem(client.get("/api/v1/bilans/2147483648", headers=ours), 404)
    with db_app.app_context(), db.standalone() as s:
        events = s.execute(text("SELECT actor, action, bilan_id FROM audit_event")).all()
    token_id = events[0][0].split(":")[1]
    assert ("api:" + token_id + ":Gestion", "api_view_bilan", world.bilan) in [
        tuple(e) for e in events
    ]
    assert sum(1 for e in events if e[1] == "api_list_bilans") == 3


def test_a_bilans_cursor_whose_key_no_id_can_be_is_a_400(db_app: Flask, world: World) -> None:
    """Found by the contract tests: a cursor of the right shape carrying 2**31 made
    PostgreSQL refuse the query (its integer columns stop at 2**31 - 1), a 500."""
    ours = bearer(make_token(db_app, world.centre, scopes=("bilans:write",), name="Gestion"))
    client = db_app.test_client()
    from service.features.api import paging

    for key in ("2147483648", "9999999999", "-1", "abc", "١٢"):
        bad = client.get(
            "/api/v1/bilans", query_string={"cursor": paging.encode(key)}, headers=ours
        )
        assert_problem(bad, 400, "cursor")
    last = client.get(
        "/api/v1/bilans", query_string={"cursor": paging.encode("2147483647")}, headers=ours
    )
    assert last.status_code == 200 and last.get_json()["data"] == []
