"""Issue 11 (beneficiaries locked out): the counsellor corrects the person's name and
address after creation, and a new bilan with a known address mails its invitation."""

from __future__ import annotations

from flask import Flask

from service.extensions import db
from service.models import Beneficiary
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff


class Box:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


def _person(app: Flask, pk: int) -> tuple[str, str, str | None, str]:
    with app.app_context(), db.standalone() as s:
        p = s.get(Beneficiary, pk)
        assert p is not None
        return p.first_name, p.last_name, p.email, p.language


def test_the_counsellor_corrects_the_name_and_adds_an_address(db_app: Flask, world: World) -> None:
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    path = f"/conseil/bilans/{world.bilan}/personne"
    form = claire.get(path)
    assert form.status_code == 200 and 'value="Camille"' in form.get_data(as_text=True)
    saved = claire.post(
        path,
        data={
            "first_name": "Camille",
            "last_name": "Martin-Roux",
            "email": "Camille@Exemple.fr",
            "language": "en",
        },
    )
    assert saved.status_code == 302
    assert _person(db_app, world.beneficiary) == (
        "Camille",
        "Martin-Roux",
        "camille@exemple.fr",
        "en",
    )
    assert "Martin-Roux" in claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)


def test_an_address_in_use_or_an_empty_name_is_refused(db_app: Flask, world: World) -> None:
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    path = f"/conseil/bilans/{world.bilan}/personne"
    taken = claire.post(
        path, data={"first_name": "C", "last_name": "M", "email": "paul@test.fr", "language": "fr"}
    )
    assert taken.status_code == 422 and "déjà utilisée" in taken.get_data(as_text=True)
    empty = claire.post(path, data={"first_name": "", "last_name": "M", "language": "fr"})
    assert empty.status_code == 422 and "Saisissez le prénom." in empty.get_data(as_text=True)
    assert _person(db_app, world.beneficiary) == ("Camille", "Martin", None, "fr")


def test_only_the_bilans_counsellors_edit_the_person(db_app: Flask, world: World) -> None:
    path = f"/conseil/bilans/{world.bilan}/personne"
    data = {"first_name": "Intrus", "last_name": "X", "language": "fr"}
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    assert paul.get(path).status_code == 404 and paul.post(path, data=data).status_code == 404
    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    assert admin.post(path, data=data).status_code == 404
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    assert person.post(path, data=data).status_code == 403
    assert db_app.test_client().post(path, data=data).status_code == 302  # to sign-in
    assert _person(db_app, world.beneficiary)[0] == "Camille"


def test_a_new_bilan_with_an_address_mails_its_invitation(db_app: Flask, world: World) -> None:
    box = Box()
    db_app.extensions["boussole.mail"] = box
    db_app.config["PUBLIC_URL"] = "https://bilans.exemple.fr"
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    created = claire.post(
        "/conseil/bilans/nouveau",
        data={
            "first_name": "Léa",
            "last_name": "Roy",
            "email": "lea@exemple.fr",
            "language": "fr",
            "title": "Bilan",
            "start_date": "",
        },
    )
    assert created.status_code == 201
    page = created.get_data(as_text=True)
    ((to, _subject, body),) = box.sent
    shown = page.split('readonly value="')[1].split('"')[0]
    assert to == "lea@exemple.fr" and shown in body
    assert "Le lien a été envoyé à lea@exemple.fr." in page
    assert 'data-copy="invitation-link"' in page  # the copy button (shown by copy.js)
    without = claire.post(
        "/conseil/bilans/nouveau",
        data={
            "first_name": "Noé",
            "last_name": "Roy",
            "language": "fr",
            "title": "Bilan",
            "start_date": "",
        },
    )
    assert without.status_code == 201 and len(box.sent) == 1
