"""How a beneficiary comes back (issue 11, "beneficiaries locked out"): the first visit asks
before anything else (a password, or sign-in links by mail when an address is known); the
choice is kept; a used link and signing out always say how to come back."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.extensions import db
from service.models import Beneficiary, SignInWay
from tests.service.conftest import World, invitation_token, open_invitation

NEW_PASSWORD = "une phrase de passe solide"
ADDRESS = "camille@exemple.fr"


def _update(app: Flask, pk: int, **values: Any) -> None:
    with app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, pk)
        assert person is not None
        for key, value in values.items():
            setattr(person, key, value)


def _person(app: Flask, pk: int) -> Beneficiary:
    with app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, pk)
        assert person is not None
        s.expunge(person)
        return person


def _html(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _mails(app: Flask) -> list[email.message.EmailMessage]:
    folder = Path(app.config["MAIL_FOLDER"])
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    out = []
    for path in paths:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        out.append(message)
    return out


def _first_visit(app: Flask, world: World) -> tuple[FlaskClient, str]:
    token = invitation_token(app, world.beneficiary)
    client = app.test_client()
    response = open_invitation(client, f"/invitation/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/revenir"
    return client, token


def _choose_password(client: FlaskClient, **extra: str) -> TestResponse:
    data = {"way": "password", "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD, **extra}
    return client.post("/compte/revenir", data=data)


def test_the_first_visit_asks_how_to_come_back_before_anything_else(
    db_app: Flask, world: World
) -> None:
    _update(db_app, world.beneficiary, email=ADDRESS)
    client, _token = _first_visit(db_app, world)
    assignment = world.assignments["ipip-bfi-25"]
    for url in (
        "/espace/",
        f"/espace/bilans/{world.bilan}/consentement",
        f"/espace/questionnaires/{assignment}",
        f"/espace/questionnaires/{assignment}/page/1",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/compte/revenir", url
    page = _html(client.get("/compte/revenir"))
    assert "Avant de commencer, choisissez comment vous reviendrez" in page
    assert "Choisir un mot de passe" in page
    assert 'name="way" value="password"' in page
    assert 'name="way" value="mail"' in page  # an address is known: both ways
    assert ADDRESS in page
    assert _person(db_app, world.beneficiary).sign_in_way is None  # nothing chosen by a GET


def test_password_chosen_then_logout_then_sign_in(db_app: Flask, world: World) -> None:
    _update(db_app, world.beneficiary, email=ADDRESS)
    client, token = _first_visit(db_app, world)
    response = _choose_password(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"
    person = _person(db_app, world.beneficiary)
    assert person.sign_in_way == SignInWay.PASSWORD
    assert (person.password_hash or "").startswith("$argon2")
    assert client.get("/espace/").status_code == 200  # the pages open now

    response = client.post("/deconnexion")
    assert response.headers["Location"] == "/deconnexion/a-bientot"
    page = _html(client.get("/deconnexion/a-bientot"))
    assert "Vous avez choisi un mot de passe" in page
    assert 'href="/connexion"' in page
    assert client.get("/espace/").status_code == 302  # signed out

    response = client.post("/connexion", data={"email": ADDRESS, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"
    assert client.get("/espace/").status_code == 200  # not asked again

    again = db_app.test_client().get(f"/invitation/{token}")  # a second click on the link
    assert again.status_code == 410
    page = _html(again)
    assert "Ce lien a déjà servi" in page
    assert "Vous avez choisi un mot de passe" in page
    assert 'href="/connexion"' in page and 'href="/nouveau-lien"' in page


def test_mail_links_chosen_a_link_is_mailed_and_signs_in(db_app: Flask, world: World) -> None:
    _update(db_app, world.beneficiary, email=ADDRESS)
    client, token = _first_visit(db_app, world)
    response = client.post("/compte/revenir", data={"way": "mail"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"
    person = _person(db_app, world.beneficiary)
    assert person.sign_in_way == SignInWay.MAIL
    assert person.password_hash is None
    home = _html(client.get("/espace/"))
    assert "Un message de confirmation vient d’y être envoyé" in home
    (confirmation,) = _mails(db_app)
    assert confirmation["To"] == ADDRESS
    assert confirmation["Subject"] == "Revenir dans votre espace Boussole"
    body = confirmation.get_content()
    assert "http://localhost/nouveau-lien" in body
    assert "/invitation/" not in body  # the kept mail holds no sign-in token

    client.post("/deconnexion")
    page = _html(client.get("/deconnexion/a-bientot"))
    assert "Vous avez choisi de revenir par un lien envoyé par e-mail" in page
    assert 'href="/nouveau-lien"' in page
    again = _html(db_app.test_client().get(f"/invitation/{token}"))
    assert "Vous avez choisi de revenir par un lien envoyé par e-mail" in again

    assert client.post("/nouveau-lien", data={"email": ADDRESS}).status_code == 302
    mails = _mails(db_app)
    assert len(mails) == 2
    found = re.search(r"http://localhost(/invitation/\S+)", mails[1].get_content())
    assert found, mails[1].get_content()
    response = open_invitation(client, found.group(1))
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"  # not asked again
    assert client.get("/espace/").status_code == 200


def test_without_an_address_the_password_is_the_way(db_app: Flask, world: World) -> None:
    client, _token = _first_visit(db_app, world)
    page = _html(client.get("/compte/revenir"))
    assert 'name="way" value="mail"' not in page
    assert "demandez à votre conseiller ou conseillère d’ajouter votre adresse" in page
    assert 'id="pw-email"' in page  # the address to sign in with

    response = client.post("/compte/revenir", data={"way": "mail"})  # a forged choice
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/revenir"
    assert "Aucune adresse e-mail n’est enregistrée" in _html(client.get("/compte/revenir"))
    assert _person(db_app, world.beneficiary).sign_in_way is None
    assert _mails(db_app) == []

    refused = _choose_password(client)  # no address typed
    assert refused.status_code == 400
    assert "Saisissez votre adresse e-mail : elle sera votre identifiant." in _html(refused)
    assert _person(db_app, world.beneficiary).password_hash is None  # nothing half-saved

    response = _choose_password(client, **{"pw-email": " Camille@Exemple.fr"})
    assert response.headers["Location"] == "/espace/"
    person = _person(db_app, world.beneficiary)
    assert person.email == ADDRESS
    assert person.sign_in_way == SignInWay.PASSWORD
    client.post("/deconnexion")
    response = client.post("/connexion", data={"email": ADDRESS, "password": NEW_PASSWORD})
    assert response.headers["Location"] == "/espace/"


def test_a_first_visit_left_before_choosing_can_be_opened_again(
    db_app: Flask, world: World
) -> None:
    """Without an address and without a password, the person would be locked out."""
    _client, token = _first_visit(db_app, world)
    other = db_app.test_client()
    response = open_invitation(other, f"/invitation/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/revenir"
    _choose_password(other, **{"pw-email": ADDRESS})
    assert db_app.test_client().get(f"/invitation/{token}").status_code == 410


def test_the_way_back_can_be_changed_later(db_app: Flask, world: World) -> None:
    _update(db_app, world.beneficiary, email=ADDRESS)
    client, _token = _first_visit(db_app, world)
    _choose_password(client)
    home = _html(client.get("/espace/"))
    assert 'href="/compte/revenir"' in home  # reachable from the person's pages
    page = _html(client.get("/compte/revenir"))
    assert "Aujourd’hui, vous revenez avec votre mot de passe." in page
    assert "Votre mot de passe sera alors supprimé." in page

    assert client.post("/compte/revenir", data={"way": "mail"}).status_code == 302
    person = _person(db_app, world.beneficiary)
    assert person.sign_in_way == SignInWay.MAIL
    assert person.password_hash is None  # the old password no longer signs in
    response = db_app.test_client().post(
        "/connexion", data={"email": ADDRESS, "password": NEW_PASSWORD}
    )
    assert response.status_code == 401

    page = _html(client.get("/compte/revenir"))
    assert "vous revenez par un lien de connexion envoyé à camille@exemple.fr" in page
    assert _choose_password(client).headers["Location"] == "/espace/"
    assert _person(db_app, world.beneficiary).sign_in_way == SignInWay.PASSWORD


def test_the_way_back_page_is_for_beneficiaries(db_app: Flask, world: World) -> None:
    from tests.service.conftest import sign_in_staff

    assert db_app.test_client().get("/compte/revenir").status_code == 302  # to sign in
    staff = db_app.test_client()
    sign_in_staff(staff, "claire@test.fr")
    assert staff.get("/compte/revenir").status_code == 403
    assert staff.post("/compte/revenir", data={"way": "mail"}).status_code == 403


def test_the_choice_needs_the_page_csrf_token(csrf_app: Flask, world: World) -> None:
    _update(csrf_app, world.beneficiary, email=ADDRESS)
    client, _token = _first_visit(csrf_app, world)
    refused = client.post("/compte/revenir", data={"way": "mail"})
    assert refused.status_code == 400
    assert _person(csrf_app, world.beneficiary).sign_in_way is None
    page = _html(client.get("/compte/revenir"))
    found = re.search(r'name="mail-csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page
    response = client.post(
        "/compte/revenir", data={"way": "mail", "mail-csrf_token": found.group(1)}
    )
    assert response.headers["Location"] == "/espace/"
    assert _person(csrf_app, world.beneficiary).sign_in_way == SignInWay.MAIL
