"""The API's write side (issue 14): beneficiaries, bilans (create, update, end, hours per
phase), assignments (assign, state, invitation link), list filters, ``Idempotency-Key``
on POST and ``If-Match`` on PATCH; who may and may not."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from service.extensions import db
from tests.service.conftest import World, helpers
from tests.service.test_api import assert_problem, bearer, make_token

WRITE = ("bilans:write",)


def _count(app: Flask, table: str) -> int:
    with app.app_context(), db.standalone() as s:
        return int(s.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def _events(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context(), db.standalone() as s:
        rows = s.execute(text("SELECT actor, action, bilan_id, assignment_id FROM audit_event"))
        return [tuple(r) for r in rows]


@pytest.fixture
def api(db_app: Flask, world: World) -> tuple[FlaskClient, dict[str, str]]:
    return db_app.test_client(), bearer(make_token(db_app, world.centre, WRITE, name="Gestion"))


PERSON = {"first_name": " Sacha ", "last_name": "Durand", "email": " Sacha@Exemple.FR "}


# --- beneficiaries ------------------------------------------------------------------------


def test_a_beneficiary_is_created_read_and_audited(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    created = client.post("/api/v1/beneficiaries", json=PERSON, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["first_name"], body["last_name"]) == ("Sacha", "Durand")  # trimmed
    assert body["email"] == "sacha@exemple.fr" and body["language"] == "fr"
    assert body["bilans"] == []
    assert created.headers["Location"] == f"/api/v1/beneficiaries/{body['id']}"
    read = client.get(created.headers["Location"], headers=headers)
    assert read.status_code == 200 and read.get_json() == body
    assert read.headers["ETag"] == created.headers["ETag"]
    actions = [e[1] for e in _events(db_app)]
    assert actions.count("api_create_beneficiary") == 1
    assert actions.count("api_view_beneficiary") == 1
    assert all(e[0].endswith(":Gestion") for e in _events(db_app))


def test_an_address_in_use_is_refused_with_the_page_s_message(db_app: Flask, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    before = _count(db_app, "beneficiary")
    for email in ("claire@test.fr", "CLAIRE@test.fr"):  # a staff member's address
        body = assert_problem(
            client.post("/api/v1/beneficiaries", json={**PERSON, "email": email}, headers=headers),
            409,
            "email",
        )
        assert "est déjà utilisée par un autre compte" in body["detail_fr"]
        assert "claire@test.fr" in body["detail_en"]
    assert _count(db_app, "beneficiary") == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**PERSON, "first_name": "   "}, "first_name"),
        ({**PERSON, "last_name": ""}, "last_name"),
        ({**PERSON, "first_name": 5}, "first_name"),
        ({**PERSON, "first_name": "x" * 101}, "first_name"),
        ({**PERSON, "email": "pas-une-adresse"}, "email"),
        ({**PERSON, "language": "de"}, "language"),
        ({**PERSON, "password": "secret"}, "password"),
        ({"last_name": "Durand"}, "first_name"),
    ],
)
def test_a_bad_beneficiary_names_the_field_and_creates_nothing(
    db_app: Flask, api, payload: dict, field: str
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    before = _count(db_app, "beneficiary")
    assert_problem(client.post("/api/v1/beneficiaries", json=payload, headers=headers), 422, field)
    assert _count(db_app, "beneficiary") == before


def test_a_beneficiary_patch_needs_a_fresh_if_match(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    url = f"/api/v1/beneficiaries/{world.beneficiary}"
    etag = client.get(url, headers=headers).headers["ETag"]
    assert_problem(client.patch(url, json={"last_name": "Neuf"}, headers=headers), 428, "If-Match")
    changed = client.patch(url, json={"last_name": "Neuf"}, headers={**headers, "If-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["last_name"] == "Neuf"
    assert changed.get_json()["first_name"] == "Camille"  # not sent: kept
    assert changed.headers["ETag"] != etag
    assert client.get(url, headers=headers).headers["ETag"] == changed.headers["ETag"]
    stale = client.patch(url, json={"last_name": "Autre"}, headers={**headers, "If-Match": etag})
    assert_problem(stale, 412, "If-Match")
    assert client.get(url, headers=headers).get_json()["last_name"] == "Neuf"


# --- bilans -------------------------------------------------------------------------------


def _new_bilan(world: World, **extra: Any) -> dict[str, Any]:
    return {"beneficiary_id": world.other_beneficiary, "counsellor_id": world.counsellor, **extra}


def test_a_bilan_is_created_with_its_administrative_fields(
    db_app: Flask, world: World, api
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    payload = _new_bilan(
        world,
        title="Bilan CPF",
        funding="CPF",
        commanditaire="Entreprise",
        convention_date="2026-10-01",
        convention_signed=True,
        start_date="2026-10-05",
        planned_end="2026-12-20",
    )
    created = client.post("/api/v1/bilans", json=payload, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["title"] == "Bilan CPF" and body["funding"] == "CPF"
    assert body["convention_date"] == "2026-10-01" and body["convention_signed"] is True
    assert (body["start_date"], body["planned_end"]) == ("2026-10-05", "2026-12-20")
    assert body["status"] == "preliminaire" and body["beneficiary_id"] == world.other_beneficiary
    assert body["created_at"].endswith("+00:00")  # ISO 8601 with its offset
    read = client.get(created.headers["Location"], headers=headers)
    assert read.get_json() == body and read.headers["ETag"] == created.headers["ETag"]
    from service.models import Bilan, BilanStep

    with db_app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, body["id"])
        assert bilan is not None and [c.id for c in bilan.counsellors] == [world.counsellor]
        # planned from the centre's template, as on the page (start date given)
        steps = s.scalar(select(func.count()).where(BilanStep.bilan_id == bilan.id))
        assert steps and steps > 0
    assert ("api_create_bilan", body["id"]) in [(e[1], e[2]) for e in _events(db_app)]


def test_a_bilan_s_refusals_name_the_field_and_create_nothing(
    db_app: Flask, world: World, api
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    other = helpers.other_centre(db_app, staff=(("lea@autre.fr", "counsellor"),), beneficiary=True)
    from service.models import StaffUser

    with db_app.app_context(), db.standalone() as s:
        paul = s.get(StaffUser, world.other_counsellor)
        assert paul is not None
        paul.active = False
    before = _count(db_app, "bilan")
    cases = [
        (_new_bilan(world, beneficiary_id=other.beneficiary), "beneficiary_id"),
        (_new_bilan(world, beneficiary_id=2_000_000_000), "beneficiary_id"),
        (_new_bilan(world, counsellor_id=other.staff["lea@autre.fr"]), "counsellor_id"),
        (_new_bilan(world, counsellor_id=world.admin), "counsellor_id"),
        (_new_bilan(world, counsellor_id=world.other_counsellor), "counsellor_id"),  # inactive
        (_new_bilan(world, counsellor_id="1"), "counsellor_id"),  # a string, not a number
        (_new_bilan(world, beneficiary_id=10**30), "beneficiary_id"),
        (_new_bilan(world, start_date="9999-01-01"), "start_date"),
        (_new_bilan(world, convention_date="1000-01-01"), "convention_date"),
        (_new_bilan(world, planned_end="2026-13-01"), "planned_end"),
        (_new_bilan(world, funding="x" * 101), "funding"),
        (_new_bilan(world, objectives="contenu"), "objectives"),  # not an administrative field
    ]
    for payload, field in cases:
        assert_problem(client.post("/api/v1/bilans", json=payload, headers=headers), 422, field)
    # the record's own rule, its message
    late = _new_bilan(world, start_date="2026-10-05", planned_end="2026-10-01")
    body = assert_problem(
        client.post("/api/v1/bilans", json=late, headers=headers), 422, "planned_end"
    )
    assert body["detail_fr"] == "La fin prévue ne peut pas précéder le début du bilan."
    assert _count(db_app, "bilan") == before
    assert _count(db_app, "bilan_step") == 0


def test_a_bilan_patch_needs_if_match_and_a_stale_one_writes_nothing(
    db_app: Flask, world: World, api
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    url = f"/api/v1/bilans/{world.bilan}"
    etag = client.get(url, headers=headers).headers["ETag"]
    assert_problem(client.patch(url, json={"funding": "CPF"}, headers=headers), 428, "If-Match")
    changed = client.patch(
        url,
        json={"funding": "CPF", "convention_signed": True},
        headers={**headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["funding"] == "CPF" and changed.get_json()["convention_signed"]
    fresh = client.get(url, headers=headers)
    assert fresh.headers["ETag"] == changed.headers["ETag"] != etag
    stale = client.patch(url, json={"funding": "Plan"}, headers={**headers, "If-Match": etag})
    assert_problem(stale, 412, "If-Match")
    assert client.get(url, headers=headers).get_json()["funding"] == "CPF"
    # If-None-Match with the new ETag: 304
    again = client.get(url, headers={**headers, "If-None-Match": fresh.headers["ETag"]})
    assert again.status_code == 304
    # the record's rule on a PATCH too
    bad = client.patch(
        url,
        json={"start_date": "2026-10-05", "planned_end": "2026-10-01"},
        headers={**headers, "If-Match": fresh.headers["ETag"]},
    )
    assert_problem(bad, 422, "planned_end")
    assert client.get(url, headers=headers).get_json()["start_date"] is None


def test_ending_a_bilan_follows_the_page_s_rules(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    url = f"/api/v1/bilans/{world.bilan}/end"
    future = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    body = assert_problem(
        client.post(url, json={"ended_on": future}, headers=headers), 422, "ended_on"
    )
    assert body["detail_fr"] == "La date de fin ne peut pas être dans le futur."
    ended = client.post(url, json={}, headers=headers)
    assert ended.status_code == 200, ended.get_json()
    first = ended.get_json()
    assert first["already_ended"] is False and first["status"] == "termine"
    assert first["satisfaction_assignment_id"] is not None and first["followup_date"]
    again = client.post(url, json={}, headers=headers).get_json()
    assert again["already_ended"] is True
    assert again["satisfaction_assignment_id"] == first["satisfaction_assignment_id"]
    assert [e[1] for e in _events(db_app)].count("end_bilan") == 1


def test_hours_per_phase_are_the_record_s(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    from service.models import BilanStep, Interview, PersonalWork

    with db_app.app_context(), db.standalone() as s:
        one = BilanStep(
            bilan_id=world.bilan,
            position=1,
            phase="preliminaire",
            name="Accueil",
            interview_hours=2,
            personal_hours=1,
        )
        two = BilanStep(
            bilan_id=world.bilan, position=2, phase="investigation", name="Tests", interview_hours=3
        )
        s.add_all([one, two])
        s.flush()
        s.add(
            Interview(
                bilan_id=world.bilan,
                step_id=one.id,
                held_at=dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC),
                minutes=90,
                mode="presentiel",
            )
        )
        s.add(
            PersonalWork(
                bilan_id=world.bilan,
                step_id=two.id,
                done_on=dt.date(2026, 10, 8),
                minutes=45,
                kind="autre",
            )
        )
    client, headers = api
    hours = client.get(f"/api/v1/bilans/{world.bilan}/hours", headers=headers).get_json()
    by_phase = {p["phase"]: p for p in hours["phases"]}
    assert list(by_phase) == ["preliminaire", "investigation", "conclusions"]
    # by hand: 2 h + 1 h planned = 180 min, 90 min held; 3 h = 180 planned, 45 min of work
    assert by_phase["preliminaire"]["planned_minutes"] == 180
    assert by_phase["preliminaire"]["planned_personal_minutes"] == 60
    assert by_phase["preliminaire"]["done_interview_minutes"] == 90
    assert by_phase["investigation"]["planned_minutes"] == 180
    assert by_phase["investigation"]["done_personal_minutes"] == 45
    assert by_phase["conclusions"]["planned_minutes"] == 0
    assert hours["total"]["planned_minutes"] == 360 and hours["total"]["done_minutes"] == 135
    assert hours["ceiling_minutes"] == 24 * 60
    assert ("api_view_hours", world.bilan) in [(e[1], e[2]) for e in _events(db_app)]


# --- assignments --------------------------------------------------------------------------


def test_assignments_are_listed_filtered_and_read_without_answers(
    db_app: Flask, world: World, api
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    url = f"/api/v1/bilans/{world.bilan}/assignments"
    listed = client.get(url, headers=headers).get_json()
    assert sorted(a["id"] for a in listed["data"]) == sorted(world.assignments.values())
    page = client.get(url, query_string={"limit": 2}, headers=headers).get_json()
    rest = client.get(url, query_string={"cursor": page["next_cursor"]}, headers=headers).get_json()
    assert len(page["data"]) == 2 and len(rest["data"]) == 1 and rest["next_cursor"] is None
    assert (
        client.get(url, query_string={"status": "completed"}, headers=headers).get_json()["data"]
        == []
    )
    assert (
        len(
            client.get(url, query_string={"status": "not_started"}, headers=headers).get_json()[
                "data"
            ]
        )
        == 3
    )
    past = "2000-01-01T00:00:00+02:00"
    future = "2099-01-01T00:00:00-05:00"
    assert (
        len(
            client.get(url, query_string={"created_after": past}, headers=headers).get_json()[
                "data"
            ]
        )
        == 3
    )
    assert (
        client.get(url, query_string={"created_after": future}, headers=headers).get_json()["data"]
        == []
    )
    assert (
        client.get(url, query_string={"created_before": past}, headers=headers).get_json()["data"]
        == []
    )
    one = client.get(f"/api/v1/assignments/{world.assignments['riasec-60']}", headers=headers)
    record = one.get_json()
    assert record["instrument_id"] == "riasec-60" and record["status"] == "not_started"
    assert record["assigned_at"].endswith("+00:00")
    assert not {"answers", "scores", "values"} & set(record)
    actions = [e[1] for e in _events(db_app)]
    assert "api_list_assignments" in actions and "api_view_assignment" in actions


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"created_after": "2026-01-01T10:00:00"}, "created_after"),  # naive: refused
        ({"created_before": "2026-01-01"}, "created_before"),
        ({"created_after": "9999-12-31T23:00:00-12:00"}, "created_after"),
        ({"created_after": "1000-01-01T00:00:00+00:00"}, "created_after"),
        ({"created_after": "demain"}, "created_after"),
        ({"status": "fini"}, "status"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    db_app: Flask, world: World, api, query, field
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    for url in ("/api/v1/bilans", f"/api/v1/bilans/{world.bilan}/assignments"):
        assert_problem(client.get(url, query_string=query, headers=headers), 422, field)


def test_the_bilans_list_filters_by_status_and_date(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    from service.models import Bilan, BilanStatus

    with db_app.app_context(), db.standalone() as s:
        other = s.get(Bilan, world.other_bilan)
        assert other is not None
        other.status = BilanStatus.INVESTIGATION
        other.created_at = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)

    def ids(query: dict[str, str]) -> list[int]:
        page = client.get("/api/v1/bilans", query_string=query, headers=headers).get_json()
        return [b["id"] for b in page["data"]]

    assert ids({"status": "investigation"}) == [world.other_bilan]
    assert ids({"status": "preliminaire"}) == [world.bilan]
    # 14:00 in Paris (+02:00) is 12:00 UTC: created at that moment, so "after" includes it
    assert world.other_bilan in ids({"created_after": "2026-06-01T14:00:00+02:00"})
    assert world.other_bilan not in ids({"created_after": "2026-06-01T14:00:01+02:00"})
    assert ids({"created_before": "2026-06-01T14:00:01+02:00"}) == [world.other_bilan]


def test_assigning_follows_the_page_s_rules(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    url = f"/api/v1/bilans/{world.bilan}/assignments"
    before = _count(db_app, "assignment")
    again = assert_problem(
        client.post(url, json={"instrument_id": "riasec-60"}, headers=headers), 422, "instrument_id"
    )
    assert "est déjà assigné et pas encore terminé" in again["detail_fr"]
    anonymous = assert_problem(
        client.post(url, json={"instrument_id": "satisfaction-fin-bilan"}, headers=headers),
        422,
        "instrument_id",
    )
    assert "statistiques du centre" in anonymous["detail_fr"]
    unknown = assert_problem(
        client.post(url, json={"instrument_id": "inconnu"}, headers=headers), 422, "instrument_id"
    )
    assert unknown["detail_fr"] == "Questionnaire inconnu."
    assert_problem(
        client.post(url, json={"instrument_id": "spi-135", "language": "de"}, headers=headers),
        422,
        "language",
    )
    assert _count(db_app, "assignment") == before
    made = client.post(
        url,
        json={"instrument_id": "spi-135", "language": "en", "show_results_now": True},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["instrument_id"], body["language"], body["show_results_now"]) == (
        "spi-135",
        "en",
        True,
    )
    assert made.headers["Location"] == f"/api/v1/assignments/{body['id']}"
    assert _count(db_app, "assignment") == before + 1


def test_an_invitation_link_uses_public_url_and_works(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    url = f"/api/v1/assignments/{world.assignments['riasec-60']}/invitation"
    assert_problem(client.post(url, headers=headers), 409)  # no PUBLIC_URL: no link
    assert _count(db_app, "invitation") == 0
    db_app.config["PUBLIC_URL"] = "https://boussole.centre.fr/"
    made = client.post(url, headers={**headers, "Host": "attaquant.example"})
    assert made.status_code == 201, made.get_json()
    link = made.get_json()["url"]
    assert link.startswith("https://boussole.centre.fr/") and "attaquant" not in link
    assert made.get_json()["beneficiary_id"] == world.beneficiary
    from service.features.accounts.invitations import check_invitation

    token = link.rstrip("/").rsplit("/", 1)[-1]
    with db_app.app_context(), db.standalone() as s:
        assert check_invitation(s, token).id == world.beneficiary
    assert ("api_invitation_link", world.bilan) in [(e[1], e[2]) for e in _events(db_app)]


# --- Idempotency-Key ----------------------------------------------------------------------


def test_a_retried_post_creates_one_bilan_and_replays_the_answer(
    db_app: Flask, world: World, api
) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    keyed = {**headers, "Idempotency-Key": "creation-42"}
    before = _count(db_app, "bilan")
    first = client.post("/api/v1/bilans", json=_new_bilan(world, funding="CPF"), headers=keyed)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    # the same object, its keys in another order: the same request
    same = json.dumps(dict(reversed(list(_new_bilan(world, funding="CPF").items()))))
    second = client.post(
        "/api/v1/bilans", data=same, headers={**keyed, "Content-Type": "application/json"}
    )
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(db_app, "bilan") == before + 1
    actions = [e[1] for e in _events(db_app)]
    assert actions.count("api_create_bilan") == 1 and actions.count("api_idempotent_replay") == 1
    # another body with the same key
    other = client.post("/api/v1/bilans", json=_new_bilan(world, funding="Plan"), headers=keyed)
    assert_problem(other, 422, "Idempotency-Key")
    # the same key on another route
    assert_problem(
        client.post("/api/v1/beneficiaries", json=PERSON, headers=keyed), 422, "Idempotency-Key"
    )
    assert _count(db_app, "bilan") == before + 1
    # without a key: a second bilan
    assert client.post("/api/v1/bilans", json=_new_bilan(world), headers=headers).status_code == 201
    assert _count(db_app, "bilan") == before + 2


def test_a_key_in_flight_is_a_409_and_a_failure_releases_the_key(
    db_app: Flask, world: World, api
) -> None:  # type: ignore[no-untyped-def]
    from service.features.api import idempotency
    from service.models import ApiIdempotencyKey, ApiToken

    client, headers = api
    with db_app.app_context(), db.standalone() as s:
        token_id = s.scalars(select(ApiToken.id)).one()
        path = "/api/v1/beneficiaries"
        body = json.dumps(PERSON).encode()
        s.add(
            ApiIdempotencyKey(
                token_id=token_id,
                key="en-cours",
                fingerprint=idempotency.fingerprint("POST", path, body),
            )
        )
    busy = client.post(
        "/api/v1/beneficiaries",
        data=json.dumps(PERSON),
        headers={**headers, "Idempotency-Key": "en-cours", "Content-Type": "application/json"},
    )
    assert_problem(busy, 409, "Idempotency-Key")
    assert _count(db_app, "beneficiary") == 2
    # a refused request keeps nothing: corrected, the same key goes through
    keyed = {**headers, "Idempotency-Key": "corrige"}
    assert_problem(
        client.post(path, json={**PERSON, "language": "de"}, headers=keyed), 422, "language"
    )
    assert client.post(path, json=PERSON, headers=keyed).status_code == 201


def test_two_concurrent_claims_of_a_key_one_wins(db_app: Flask, world: World) -> None:
    from service.features.api import idempotency
    from service.models import ApiIdempotencyKey
    from service.web.problems import ApiProblem

    make_token(db_app, world.centre, WRITE)
    now = dt.datetime.now(dt.UTC)
    with db_app.app_context():
        from service.models import ApiToken

        with db.standalone() as one, db.standalone() as two:
            token_id = one.scalars(select(ApiToken.id)).one()
            first = idempotency.claim(one, token_id, "k", "f" * 64, now)
            assert isinstance(first, ApiIdempotencyKey)
            with pytest.raises(ApiProblem) as refused:
                idempotency.claim(two, token_id, "k", "f" * 64, now)
            assert refused.value.code == 409


@pytest.mark.parametrize("key", ["", "x" * 256, "clé-accentuée", "tab\there"])
def test_a_bad_key_is_a_400_naming_the_header(db_app: Flask, world: World, api, key: str) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    response = client.post(
        "/api/v1/beneficiaries",
        json=PERSON,
        headers={**headers, "Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert_problem(response, 400, "Idempotency-Key")
    assert _count(db_app, "beneficiary") == 2


def test_keys_are_kept_24_hours(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    from service.features.api import idempotency
    from service.models import ApiIdempotencyKey

    client, headers = api
    keyed = {**headers, "Idempotency-Key": "vieille"}
    assert client.post("/api/v1/beneficiaries", json=PERSON, headers=keyed).status_code == 201
    with db_app.app_context(), db.standalone() as s:
        row = s.scalars(select(ApiIdempotencyKey)).one()
        row.created_at = row.created_at - dt.timedelta(hours=25)
    # lazily: the old key is a new one (another body is not refused)
    assert (
        client.post(
            "/api/v1/beneficiaries", json={**PERSON, "email": None}, headers=keyed
        ).status_code
        == 201
    )
    with db_app.app_context(), db.standalone() as s:
        row = s.scalars(select(ApiIdempotencyKey)).one()
        row.created_at = row.created_at - dt.timedelta(hours=25)
        s.flush()
        assert idempotency.purge(s, dt.datetime.now(dt.UTC)) == 1
    assert _count(db_app, "api_idempotency_key") == 0


def test_the_kept_response_is_encrypted(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    keyed = {**headers, "Idempotency-Key": "chiffre"}
    assert client.post("/api/v1/beneficiaries", json=PERSON, headers=keyed).status_code == 201
    with db_app.app_context(), db.standalone() as s:
        raw = s.execute(text("SELECT body FROM api_idempotency_key")).scalar()
    assert raw and "Sacha" not in raw and "sacha@exemple.fr" not in raw


# --- who may: every new route -------------------------------------------------------------


def _routes(world: World) -> list[tuple[str, str, Any]]:
    a = world.assignments["riasec-60"]
    return [
        ("POST", "/api/v1/beneficiaries", PERSON),
        ("GET", f"/api/v1/beneficiaries/{world.beneficiary}", None),
        ("PATCH", f"/api/v1/beneficiaries/{world.beneficiary}", {"last_name": "X"}),
        ("POST", "/api/v1/bilans", _new_bilan(world)),
        ("PATCH", f"/api/v1/bilans/{world.bilan}", {"funding": "CPF"}),
        ("POST", f"/api/v1/bilans/{world.bilan}/end", {}),
        ("GET", f"/api/v1/bilans/{world.bilan}/hours", None),
        ("GET", f"/api/v1/bilans/{world.bilan}/assignments", None),
        ("POST", f"/api/v1/bilans/{world.bilan}/assignments", {"instrument_id": "spi-135"}),
        ("GET", f"/api/v1/assignments/{a}", None),
        ("POST", f"/api/v1/assignments/{a}/invitation", None),
    ]


def test_every_new_route_refuses_other_centres_missing_scope_and_revoked_tokens(
    db_app: Flask, world: World
) -> None:
    from service.features.api import tokens
    from service.models import ApiToken

    db_app.config["PUBLIC_URL"] = "https://boussole.centre.fr"
    other = helpers.other_centre(db_app, staff=(("lea@autre.fr", "counsellor"),), beneficiary=True)
    theirs = bearer(make_token(db_app, other.centre, WRITE, name="Autre"))
    scopeless = bearer(
        make_token(db_app, world.centre, ("instruments:read", "results:read", "answers:write"))
    )
    revoked_raw = make_token(db_app, world.centre, WRITE, name="Révoqué")
    with db_app.app_context(), db.standalone() as s:
        token = s.scalars(select(ApiToken).where(ApiToken.name == "Révoqué")).one()
        tokens.revoke(token)
    client = db_app.test_client()
    before = {t: _count(db_app, t) for t in ("beneficiary", "bilan", "assignment", "invitation")}
    for method, url, body in _routes(world):
        send = lambda h: client.open(url, method=method, json=body, headers={**h, **match})  # noqa: B023, E731
        match = {"If-Match": "*"} if method == "PATCH" else {}
        assert_problem(send({}), 401)
        assert_problem(send(bearer(revoked_raw)), 401)
        assert_problem(send(scopeless), 403)
        if url in ("/api/v1/beneficiaries", "/api/v1/bilans"):
            if url == "/api/v1/bilans":  # another centre's person and counsellor: refused
                assert_problem(send(theirs), 422, "beneficiary_id")
            continue
        assert_problem(send(theirs), 404)
    after = {t: _count(db_app, t) for t in before}
    assert after == before
    # and with the right token, each one answers
    ours = bearer(make_token(db_app, world.centre, WRITE, name="Nous"))
    for method, url, body in _routes(world):
        match = {"If-Match": "*"} if method == "PATCH" else {}
        response = client.open(url, method=method, json=body, headers={**ours, **match})
        assert response.status_code in (200, 201), (method, url, response.get_json())


def test_nul_characters_and_malformed_bodies_are_4xx(db_app: Flask, world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    body = assert_problem(
        client.post(
            "/api/v1/beneficiaries", json={**PERSON, "last_name": "Du\x00rand"}, headers=headers
        ),
        400,
        "last_name",
    )
    assert "caractère nul" in body["detail_fr"]
    for data in ("{pas du json", "[]", "12", '{"first_name": {"a": 1}}'):
        response = client.post(
            "/api/v1/beneficiaries",
            data=data,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
    huge = client.post(
        "/api/v1/beneficiaries",
        data='{"first_name": "' + "x" * 70_000 + '"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_problem(huge, 413)
    assert _count(db_app, "beneficiary") == 2


def test_the_openapi_document_lists_the_write_routes(db_app: Flask) -> None:
    spec = db_app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    post = paths["/api/v1/bilans"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in post.get("parameters", [])]
    assert {"201", "409", "422"} <= set(post["responses"])
    assert post["summary"] == "Créer un bilan / Create a bilan"
    patch = paths["/api/v1/bilans/{bilan_id}"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])
    assert "get" in paths["/api/v1/bilans/{bilan_id}"] and "get" in paths["/api/v1/bilans"]
    for path in (
        "/api/v1/beneficiaries",
        "/api/v1/beneficiaries/{beneficiary_id}",
        "/api/v1/bilans/{bilan_id}/end",
        "/api/v1/bilans/{bilan_id}/hours",
        "/api/v1/bilans/{bilan_id}/assignments",
        "/api/v1/assignments/{assignment_id}",
        "/api/v1/assignments/{assignment_id}/invitation",
    ):
        assert path in paths


def test_boussole_purge_deletes_the_old_keys_only(
    db_app: Flask, world: World, api, db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from service.cli import main
    from service.models import ApiIdempotencyKey

    client, headers = api
    for key in ("vieille", "recente"):
        body = {**PERSON, "email": f"{key}@exemple.fr"}
        keyed = {**headers, "Idempotency-Key": key}
        assert client.post("/api/v1/beneficiaries", json=body, headers=keyed).status_code == 201
    with db_app.app_context(), db.standalone() as s:
        old = s.scalars(select(ApiIdempotencyKey).where(ApiIdempotencyKey.key == "vieille")).one()
        old.created_at = old.created_at - dt.timedelta(hours=24, minutes=1)
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(tmp_path / "cli-mail"))
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    result = CliRunner().invoke(main, ["purge"])
    assert result.exit_code == 0, result.output
    assert "clés d’idempotence de l’API effacées (plus de 24 h) : 1" in result.output
    with db_app.app_context(), db.standalone() as s:
        assert s.scalars(select(ApiIdempotencyKey.key)).all() == ["recente"]
