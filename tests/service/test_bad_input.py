"""Each class of malformed input that used to answer 500 now gets a French 4xx (JSON for
the autosave); the error pages survive a detached user and a database outage."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from service.features.journey import consent as consent_records
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff


def _consent(app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import Consent

    with app.app_context(), db.standalone() as s:
        s.add(
            Consent(
                bilan_id=world.bilan,
                beneficiary_id=world.beneficiary,
                text_version=consent_records.CONSENT_VERSION,
                accepted=True,
            )
        )


@pytest.fixture
def person(db_app: Flask, world: World):  # type: ignore[no-untyped-def]
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    _consent(db_app, world)
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    return client


def test_json_array_on_a_form_route_is_415_in_french(db_app: Flask) -> None:
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    for url in ("/connexion", "/nouveau-lien"):
        response = db_app.test_client().post(url, json=[1, 2, 3])
        assert response.status_code == 415
        assert "attend les données d’un formulaire" in response.get_json()["error"]


def test_nul_character_is_refused_naming_the_field(db_app: Flask) -> None:
    response = db_app.test_client().post(
        "/connexion", data={"email": "a\x00b@test.fr", "password": "x"}
    )
    assert response.status_code == 422
    assert "Le champ « email » contient un caractère non autorisé" in response.get_data(
        as_text=True
    )


def test_ids_beyond_the_database_range_are_404(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    for url in ("/conseil/bilans/2147483648", f"/conseil/bilans/{2**70}/rapport"):
        assert client.get(url).status_code == 404
    assert client.get("/conseil/questionnaires/2147483648/profil").status_code == 404


def test_huge_id_in_a_form_field_is_404_not_an_overflow(db_app: Flask, world: World) -> None:
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    url = f"/conseil/bilans/{world.bilan}/synthese/resultats"
    for raw in (str(2**40), "²"):
        assert client.post(url, data={"assignment_id": raw}).status_code < 500


def test_year_9999_is_refused_with_the_range(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    response = client.post(
        "/conseil/bilans/nouveau",
        data={"first_name": "Ana", "last_name": "Lopez", "start_date": "9999-12-31"},
    )
    assert response.status_code == 422
    assert "Saisissez une date entre le" in response.get_data(as_text=True)
    planned = client.post(
        f"/conseil/bilans/{world.bilan}/dossier/calendrier",
        data={"plan-start_date": "9999-12-31", "plan-at": "09:00"},
    )
    assert planned.status_code == 422


def test_autosave_deep_json_huge_numbers_and_size(person, world: World) -> None:  # type: ignore[no-untyped-def]
    url = f"/espace/questionnaires/{world.assignments['ipip-bfi-25']}/reponses"
    deep = person.post(url, data="[" * 30_000 + "]" * 30_000, content_type="application/json")
    assert deep.status_code == 400 and deep.get_json()["saved"] is False
    huge = person.post(url, json={"item": "A1", "value": 10**400})
    assert huge.status_code == 400
    seconds = person.post(url, json={"item": "A1", "value": 3, "seconds": 10**400})
    assert seconds.status_code == 200
    big = person.post(url, data=b"x" * (10 * 2**20), content_type="application/json")
    assert big.status_code == 413 and "trop volumineuse" in big.get_json()["error"]
    nul = person.post(url, json={"item": "A1", "value": "3\x00"})
    assert nul.status_code == 400 and nul.get_json()["field"] == "value"


def test_database_outage_in_the_access_query_is_503_with_retry_after(
    person, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from service.features.journey import store

    def down(*args: object, **kwargs: object) -> object:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store, "answering_state", down)
    url = f"/espace/questionnaires/{world.assignments['ipip-bfi-25']}/reponses"
    response = person.post(url, json={"item": "A1", "value": 3})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["saved"] is False


def test_error_page_for_a_signed_in_staff_member_is_the_site_page(
    db_app: Flask, world: World
) -> None:
    """The 500 page used to crash on the detached user (bare Internal Server Error)."""
    db_app.config["PROPAGATE_EXCEPTIONS"] = False

    @db_app.get("/test-only/boom")
    def boom() -> str:
        from flask_login import current_user

        assert current_user.is_authenticated  # the user is loaded before the failure
        raise RuntimeError("boom")

    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    response = client.get("/test-only/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1>Erreur 500</h1>" in page and "Se déconnecter" in page
