"""Staff accounts (issue 11, blocker): the first admin on the command line, the team page
where an admin invites, deactivates and reactivates counsellors and admins (bilans handed
over, never orphaned), and a forgotten password reset by a mailed single-use link."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from service.cli import main
from service.extensions import db
from service.models import Bilan, StaffToken, StaffUser
from tests.service.conftest import World, helpers, sign_in_staff

PUBLIC = "https://bilans.exemple.fr"
LINK = re.compile(re.escape(PUBLIC) + r"(/compte/choisir-mot-de-passe/[\w-]+)")
STRONG = "une phrase assez longue"


class Box:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))

    def link(self, index: int = -1) -> str:
        found = LINK.search(self.sent[index][2])
        assert found, self.sent[index][2]
        return found.group(1)


@pytest.fixture
def box(db_app: Flask) -> Box:
    mailer = Box()
    db_app.extensions["boussole.mail"] = mailer
    db_app.config["PUBLIC_URL"] = PUBLIC
    return mailer


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in_staff(client, email)
    return client


def _staff(app: Flask, email: str) -> StaffUser:
    with app.app_context(), db.standalone() as s:
        row = s.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        s.expunge(row)
        return row


def _counsellors(app: Flask, bilan_id: int) -> list[str]:
    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, bilan_id)
        assert bilan is not None
        return sorted(c.email for c in bilan.counsellors)


def _choose_password(client: FlaskClient, path: str, password: str = STRONG) -> int:
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"password": password, "confirm": password}).status_code


# --- the team page: who may see it ------------------------------------------------------------


def test_only_the_centres_admins_see_the_team(db_app: Flask, world: World) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    page = admin.get("/admin/equipe")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "claire@test.fr" in text and "paul@test.fr" in text
    assert _signed_in(db_app, "claire@test.fr").get("/admin/equipe").status_code == 403
    anonymous = db_app.test_client().get("/admin/equipe")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    counsellor = _signed_in(db_app, "claire@test.fr")
    assert (
        counsellor.post(
            "/admin/equipe", data={"name": "X", "email": "x@test.fr", "role": "admin"}
        ).status_code
        == 403
    )
    assert counsellor.post(f"/admin/equipe/{world.other_counsellor}/reactiver").status_code == 403


def test_an_admin_of_another_centre_cannot_touch_our_staff(db_app: Flask, world: World) -> None:
    helpers.other_centre(db_app, staff=(("chef@autre.fr", "admin"),))
    outsider = _signed_in(db_app, "chef@autre.fr")
    assert "claire@test.fr" not in outsider.get("/admin/equipe").get_data(as_text=True)
    for path in ("desactiver", "reactiver", "invitation"):
        response = outsider.post(f"/admin/equipe/{world.counsellor}/{path}")
        assert response.status_code == 404, path
    assert _staff(db_app, "claire@test.fr").active


# --- inviting -------------------------------------------------------------------------------


def test_an_admin_invites_a_counsellor_who_chooses_a_password_and_signs_in(
    db_app: Flask, world: World, box: Box
) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    response = admin.post(
        "/admin/equipe",
        data={"name": "Nadia Ben Ali", "email": "Nadia@Test.fr", "role": "counsellor"},
    )
    assert response.status_code == 302
    ((to, subject, body),) = box.sent
    assert to == "nadia@test.fr" and "Votre compte Boussole" in subject
    assert f"{PUBLIC}/compte/choisir-mot-de-passe/" in body and "7 jours" in body
    assert "Invitation en attente" in admin.get("/admin/equipe").get_data(as_text=True)
    person = db_app.test_client()
    assert _choose_password(person, box.link()) == 302
    sign_in_staff(db_app.test_client(), "nadia@test.fr", STRONG)
    assert person.get(box.link()).status_code == 410  # single use


def test_a_link_page_opened_by_a_mail_scanner_does_not_use_it(
    db_app: Flask, world: World, box: Box
) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    admin.post("/admin/equipe", data={"name": "Nadia", "email": "n@test.fr", "role": "admin"})
    scanner = db_app.test_client()
    assert scanner.get(box.link()).status_code == 200
    assert scanner.head(box.link()).status_code == 200
    assert _choose_password(db_app.test_client(), box.link()) == 302


def test_invitation_refusals_name_the_field_and_create_nothing(
    db_app: Flask, world: World, box: Box
) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    cases = [
        ({"name": "", "email": "a@test.fr", "role": "counsellor"}, "Indiquez le nom"),
        ({"name": "A", "email": "pas-une-adresse", "role": "counsellor"}, "adresse e-mail"),
        ({"name": "A", "email": "claire@test.fr", "role": "counsellor"}, "déjà utilisée"),
        ({"name": "A", "email": "b@test.fr", "role": "root"}, "Rôle inconnu"),
        ({"name": "A\x00", "email": "c@test.fr", "role": "counsellor"}, "non autorisé"),
    ]
    with db_app.app_context(), db.standalone() as s:
        before = len(s.scalars(select(StaffUser)).all())
    for data, message in cases:
        response = admin.post("/admin/equipe", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    with db_app.app_context(), db.standalone() as s:
        assert len(s.scalars(select(StaffUser)).all()) == before
    assert box.sent == []


def test_resending_an_invitation_revokes_the_previous_link(
    db_app: Flask, world: World, box: Box
) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    admin.post("/admin/equipe", data={"name": "Nadia", "email": "n@test.fr", "role": "counsellor"})
    first = box.link()
    nadia = _staff(db_app, "n@test.fr")
    assert admin.post(f"/admin/equipe/{nadia.id}/invitation").status_code == 302
    second = box.link()
    assert first != second
    client = db_app.test_client()
    assert client.get(first).status_code == 410
    assert _choose_password(client, second) == 302


def test_a_weak_password_is_refused_and_the_link_kept(
    db_app: Flask, world: World, box: Box
) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    admin.post("/admin/equipe", data={"name": "Nadia", "email": "n@test.fr", "role": "counsellor"})
    client = db_app.test_client()
    assert _choose_password(client, box.link(), "court") == 400
    assert _choose_password(client, box.link(), "n@test.fr") == 400
    assert _choose_password(client, box.link()) == 302


# --- deactivating ---------------------------------------------------------------------------


def test_deactivating_a_counsellor_hands_their_bilans_over(db_app: Flask, world: World) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    page = admin.get(f"/admin/equipe/{world.counsellor}/desactiver").get_data(as_text=True)
    assert "Camille Martin" in page and "paul" in page
    refused = admin.post(f"/admin/equipe/{world.counsellor}/desactiver", data={"successor": ""})
    assert refused.status_code == 422
    assert "choisissez qui les reprend" in refused.get_data(as_text=True)
    assert _staff(db_app, "claire@test.fr").active
    done = admin.post(
        f"/admin/equipe/{world.counsellor}/desactiver",
        data={"successor": str(world.other_counsellor)},
        follow_redirects=True,
    )
    assert "suivi par paul" in done.get_data(as_text=True)
    assert _counsellors(db_app, world.bilan) == ["paul@test.fr"]
    assert not _staff(db_app, "claire@test.fr").active
    refused_login = db_app.test_client().post(
        "/connexion", data={"email": "claire@test.fr", "password": world.password}
    )
    assert refused_login.status_code == 401  # as a wrong password
    # paul now follows Camille's bilan
    paul = _signed_in(db_app, "paul@test.fr")
    assert paul.get(f"/conseil/bilans/{world.bilan}").status_code == 200
    assert admin.post(f"/admin/equipe/{world.counsellor}/reactiver").status_code == 302
    assert _staff(db_app, "claire@test.fr").active


def test_nobody_deactivates_themselves_or_the_last_admin(db_app: Flask, world: World) -> None:
    admin = _signed_in(db_app, "admin@test.fr")
    response = admin.post(f"/admin/equipe/{world.admin}/desactiver", data={})
    assert response.status_code == 409
    assert "propre compte" in response.get_data(as_text=True)
    assert _staff(db_app, "admin@test.fr").active


# --- forgotten password ---------------------------------------------------------------------


def test_forgotten_password_answers_the_same_whoever_asks(
    db_app: Flask, world: World, box: Box
) -> None:
    client = db_app.test_client()
    answers = {
        email: client.post("/compte/mot-de-passe-oublie", data={"email": email})
        for email in ("claire@test.fr", "personne@test.fr", "CLAIRE@test.fr ")
    }
    locations = {r.headers["Location"] for r in answers.values()}
    assert locations == {"/compte/mot-de-passe-oublie/envoye"}
    assert [to for to, _s, _b in box.sent] == ["claire@test.fr", "claire@test.fr"]
    # the second request revoked the first link; the second works once
    client2 = db_app.test_client()
    assert client2.get(box.link(0)).status_code == 410
    assert _choose_password(client2, box.link(1)) == 302
    sign_in_staff(db_app.test_client(), "claire@test.fr", STRONG)


def test_a_deactivated_account_gets_no_reset_link(db_app: Flask, world: World, box: Box) -> None:
    with db_app.app_context(), db.standalone() as s:
        s.execute(
            update(StaffUser).where(StaffUser.id == world.other_counsellor).values(active=False)
        )
    response = db_app.test_client().post(
        "/compte/mot-de-passe-oublie", data={"email": "paul@test.fr"}
    )
    assert response.headers["Location"] == "/compte/mot-de-passe-oublie/envoye"
    assert box.sent == []


def test_an_expired_reset_link_is_refused(db_app: Flask, world: World, box: Box) -> None:
    db_app.test_client().post("/compte/mot-de-passe-oublie", data={"email": "claire@test.fr"})
    with db_app.app_context(), db.standalone() as s:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        s.execute(update(StaffToken).values(expires_at=past))
    response = db_app.test_client().get(box.link())
    assert response.status_code == 410 and "expiré" in response.get_data(as_text=True)


def test_tokens_are_stored_hashed(db_app: Flask, world: World, box: Box) -> None:
    db_app.test_client().post("/compte/mot-de-passe-oublie", data={"email": "claire@test.fr"})
    token = box.link().rsplit("/", 1)[1]
    with db_app.app_context(), db.standalone() as s:
        hashes = s.scalars(select(StaffToken.token_hash)).all()
    assert hashes and token not in hashes and all(len(h) == 64 for h in hashes)


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(tmp_path / "mail"))
    return db_url


def test_the_first_admin_of_a_fresh_install(db_app: Flask, cli_env: str) -> None:
    runner = CliRunner()
    no_centre = runner.invoke(
        main, ["users", "create", "--role", "admin", "--email", "a@c.fr", "--name", "Alice"]
    )
    assert no_centre.exit_code == 1 and "--centre" in no_centre.output
    created = runner.invoke(
        main,
        [
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            "A@c.fr",
            "--name",
            "Alice",
            "--centre",
            "Centre Nord",
            "--base-url",
            PUBLIC,
        ],
    )
    assert created.exit_code == 0, created.output
    path = LINK.search(created.output)
    assert path, created.output
    assert _choose_password(db_app.test_client(), path.group(1)) == 302
    admin = db_app.test_client()
    sign_in_staff(admin, "a@c.fr", STRONG)
    assert admin.get("/admin/equipe").status_code == 200
    again = runner.invoke(
        main, ["users", "create", "--role", "counsellor", "--email", "a@c.fr", "--name", "B"]
    )
    assert again.exit_code == 1 and "déjà utilisée" in again.output
    listed = runner.invoke(main, ["users", "list"])
    assert listed.exit_code == 0 and "a@c.fr" in listed.output and "Centre Nord" in listed.output


def test_a_password_typed_on_the_terminal(db_app: Flask, world: World, cli_env: str) -> None:
    result = CliRunner().invoke(
        main,
        [
            "users",
            "create",
            "--role",
            "counsellor",
            "--email",
            "t@test.fr",
            "--name",
            "Théo",
            "--password",
        ],
        input=f"{STRONG}\n{STRONG}\n",
    )
    assert result.exit_code == 0, result.output
    assert "choisir-mot-de-passe" not in result.output
    sign_in_staff(db_app.test_client(), "t@test.fr", STRONG)
    short = CliRunner().invoke(
        main,
        [
            "users",
            "create",
            "--role",
            "counsellor",
            "--email",
            "u@test.fr",
            "--name",
            "U",
            "--password",
        ],
        input="court\ncourt\n",
    )
    assert short.exit_code == 1 and "caractères" in short.output


def test_deactivate_on_the_command_line_hands_bilans_over(
    db_app: Flask, world: World, cli_env: str
) -> None:
    runner = CliRunner()
    refused = runner.invoke(main, ["users", "deactivate", "claire@test.fr"])
    assert refused.exit_code == 1 and "reprend" in refused.output
    done = runner.invoke(
        main, ["users", "deactivate", "claire@test.fr", "--successor", "paul@test.fr"]
    )
    assert done.exit_code == 0, done.output
    assert _counsellors(db_app, world.bilan) == ["paul@test.fr"]
    last_admin = runner.invoke(main, ["users", "deactivate", "admin@test.fr"])
    assert last_admin.exit_code == 1 and "administration" in last_admin.output
