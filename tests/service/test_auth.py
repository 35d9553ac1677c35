"""Sign-in: staff login, invitation links, beneficiary passwords, new links by mail, logout.

Every refusal is checked with its status and its French message, and the pages that must
not reveal whether an account exists are compared with each other.
"""

from __future__ import annotations

import email
import email.policy
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from service.extensions import db
from service.models import Beneficiary, Invitation, StaffUser
from service.security import MIN_PASSWORD_LENGTH, token_hash
from tests.service.conftest import (
    World,
    invitation_token,
    open_invitation,
    sign_in_beneficiary,
    sign_in_staff,
)

PASSWORD = "mot-de-passe-de-test"
NEW_PASSWORD = "une phrase de passe solide"


def _update(app: Flask, model: Any, pk: int, **values: Any) -> None:
    with app.app_context(), db.standalone() as s:
        record = s.get(model, pk)
        assert record is not None
        for key, value in values.items():
            setattr(record, key, value)


def _get(app: Flask, model: Any, pk: int) -> Any:
    with app.app_context(), db.standalone() as s:
        record = s.get(model, pk)
        s.expunge(record)
        return record


def _html(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _comparable(html: str) -> str:
    """A page without what legitimately differs between two requests (CSRF tokens)."""
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", html)


def _mails(app: Flask) -> list[Path]:
    folder = Path(app.config["MAIL_FOLDER"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _read_mail(path: Path) -> email.message.EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def _signed_in_as_beneficiary(client: FlaskClient) -> bool:
    return client.get("/espace/").status_code == 200


# --- staff login ------------------------------------------------------------------------


def test_staff_login_opens_the_dashboard(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    assert client.get("/conseil/").status_code == 302  # not signed in yet
    response = client.post("/connexion", data={"email": "Claire@Test.fr ", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/conseil/"
    assert client.get("/conseil/").status_code == 200


def test_admin_login_opens_the_centre_administration(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    response = client.post("/connexion", data={"email": "admin@test.fr", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/satisfaction" in page and "/conseil/centre/modele" in page


def test_wrong_password_and_unknown_address_get_the_same_401(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    wrong = client.post("/connexion", data={"email": "claire@test.fr", "password": "devine"})
    assert wrong.status_code == 401
    page = _html(wrong)
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert 'role="alert"' in page
    assert "<title>Erreur : Connexion — Boussole</title>" in page
    assert "devine" not in page  # the password typed is never sent back
    assert client.get("/conseil/").status_code == 302

    unknown = client.post("/connexion", data={"email": "claire@test.fr.", "password": "devine"})
    assert unknown.status_code == 401
    # Only the address typed (sent back in the field) differs: nothing tells them apart.
    assert _comparable(page) == _comparable(_html(unknown)).replace(
        "claire@test.fr.", "claire@test.fr"
    )


def test_login_checks_one_password_even_for_an_unknown_address(
    db_app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time taken does not tell whether the address has an account."""
    import service.features.accounts.service as accounts
    from service.security import verify_password as real

    calls: list[str] = []

    def counting(stored_hash: str | None, password: str) -> bool:
        calls.append(password)
        return real(stored_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    client = db_app.test_client()
    for address in ("personne@test.fr", "claire@test.fr"):
        calls.clear()
        response = client.post("/connexion", data={"email": address, "password": "devine"})
        assert response.status_code == 401
        assert calls == ["devine"], address


def test_login_form_errors_are_in_french(db_app: Flask, world: World) -> None:
    response = db_app.test_client().post("/connexion", data={"email": "", "password": ""})
    assert response.status_code == 400
    page = _html(response)
    assert "Saisissez votre adresse e-mail." in page
    assert "Saisissez votre mot de passe." in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="email-erreur"' in page


def test_login_page_is_a_clean_form(db_app: Flask) -> None:
    page = _html(db_app.test_client().get("/connexion"))
    assert '<label for="email">Adresse e-mail</label>' in page
    assert '<label for="password">Mot de passe</label>' in page
    assert 'autocomplete="current-password"' in page
    assert '="None"' not in page  # no attribute rendered from a missing value
    assert "aria-invalid" not in page
    assert 'href="/nouveau-lien"' in page


def test_inactive_staff_is_refused(db_app: Flask, world: World) -> None:
    _update(db_app, StaffUser, world.counsellor, active=False)
    client = db_app.test_client()
    right = client.post("/connexion", data={"email": "claire@test.fr", "password": PASSWORD})
    assert client.get("/conseil/").status_code == 302
    # A disabled account answers exactly like a wrong password (nothing to learn).
    wrong = client.post("/connexion", data={"email": "claire@test.fr", "password": "devine"})
    assert right.status_code == wrong.status_code == 401
    assert "désactivé" not in _html(right)
    assert _comparable(_html(right)) == _comparable(_html(wrong))


def test_login_follows_a_local_next_only(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    data = {"email": "claire@test.fr", "password": PASSWORD}
    response = client.post("/connexion?next=/conseil/", data=data)
    assert response.headers["Location"] == "/conseil/"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = db_app.test_client().post(f"/connexion?next={target}", data=data)
        assert response.headers["Location"] == "/conseil/", target


def test_a_page_behind_login_sends_to_the_login_page(db_app: Flask, world: World) -> None:
    response = db_app.test_client().get("/compte/mot-de-passe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_missing_csrf_token_on_login_is_refused(csrf_app: Flask, world: World) -> None:
    client = csrf_app.test_client()
    data = {"email": "claire@test.fr", "password": PASSWORD}
    response = client.post("/connexion", data=data)
    assert response.status_code == 400
    assert "Erreur 400" in _html(response)
    assert client.get("/conseil/").status_code == 302
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', _html(client.get("/connexion"))
    )
    assert token is not None
    response = client.post("/connexion", data={**data, "csrf_token": token.group(1)})
    assert response.status_code == 302


# --- invitation links -------------------------------------------------------------------


def test_invitation_signs_the_beneficiary_in_once(db_app: Flask, world: World) -> None:
    _update(db_app, Beneficiary, world.beneficiary, sign_in_way="mail", email="c@exemple.fr")
    token = invitation_token(db_app, world.beneficiary)
    client = db_app.test_client()
    response = open_invitation(client, f"/invitation/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"  # the way back is already chosen
    assert _signed_in_as_beneficiary(client)

    again = db_app.test_client().get(f"/invitation/{token}")
    assert again.status_code == 410
    page = _html(again)
    assert "Ce lien a déjà servi" in page
    assert 'href="/nouveau-lien"' in page


def test_unknown_invitation_is_a_404_page(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    response = client.get("/invitation/pas-un-vrai-jeton")
    assert response.status_code == 404
    assert "Ce lien d’invitation n’est pas valide." in _html(response)
    assert not _signed_in_as_beneficiary(client)


def test_expired_invitation_is_refused(db_app: Flask, world: World) -> None:
    token = invitation_token(db_app, world.beneficiary, days=-1)
    client = db_app.test_client()
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 410
    assert "Ce lien d’invitation n’est plus valable." in _html(response)
    assert not _signed_in_as_beneficiary(client)
    with db_app.app_context(), db.standalone() as s:  # refusing it did not consume it
        invitation = s.scalars(select(Invitation).where(Invitation.token_hash == token_hash(token)))
        assert invitation.one().used_at is None


def test_invitation_tokens_are_stored_hashed(db_app: Flask, world: World) -> None:
    token = invitation_token(db_app, world.beneficiary)
    with db_app.app_context(), db.standalone() as s:
        rows = s.execute(text("SELECT * FROM invitation")).all()
    assert len(rows) == 1
    cells = [str(cell) for cell in rows[0]]
    assert not any(token in cell for cell in cells)
    assert token_hash(token) in cells


# --- beneficiary password ---------------------------------------------------------------


def _set_password(client: FlaskClient, **data: str) -> TestResponse:
    return client.post("/compte/mot-de-passe", data=data)


def test_beneficiary_sets_a_password_then_logs_in_with_it(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    page = _html(client.get("/compte/mot-de-passe"))
    assert 'id="email"' in page  # no address on record: the page asks for one
    assert f"Au moins {MIN_PASSWORD_LENGTH} caractères." in page
    response = _set_password(
        client, email=" Camille.Martin@Exemple.FR", password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"
    person = _get(db_app, Beneficiary, world.beneficiary)
    assert person.email == "camille.martin@exemple.fr"
    assert person.password_hash.startswith("$argon2")
    assert NEW_PASSWORD not in person.password_hash
    assert "camille.martin@exemple.fr" in _html(client.get("/espace/"))  # the flash message

    client.post("/deconnexion")
    assert not _signed_in_as_beneficiary(client)
    response = client.post(
        "/connexion", data={"email": "camille.martin@exemple.fr", "password": "mauvais mot"}
    )
    assert response.status_code == 401
    login_url = client.get("/compte/mot-de-passe").headers["Location"]  # sent to sign in
    assert login_url == "/connexion?next=%2Fcompte%2Fmot-de-passe"
    response = client.post(
        login_url, data={"email": "CAMILLE.martin@exemple.fr", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/mot-de-passe"  # and brought back
    assert _signed_in_as_beneficiary(client)


def test_known_address_is_kept_and_not_asked(db_app: Flask, world: World) -> None:
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    page = _html(client.get("/compte/mot-de-passe"))
    assert 'id="email"' not in page
    assert "camille@exemple.fr" in page
    response = _set_password(
        client, email="autre@exemple.fr", password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert response.status_code == 302
    assert _get(db_app, Beneficiary, world.beneficiary).email == "camille@exemple.fr"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"email": "c@exemple.fr", "password": "court", "confirm": "court"},
            f"Le mot de passe doit comporter au moins {MIN_PASSWORD_LENGTH} caractères.",
        ),
        (
            {"email": "c@exemple.fr", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
            "Les deux mots de passe ne sont pas identiques.",
        ),
        (
            {"email": "c@exemple.fr", "password": NEW_PASSWORD, "confirm": ""},
            "Saisissez une seconde fois le mot de passe.",
        ),
        (
            {"email": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "Saisissez votre adresse e-mail : elle sera votre identifiant.",
        ),
        (
            {"email": "camille-at-exemple.fr", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "Saisissez une adresse e-mail complète, par exemple nom@exemple.fr.",
        ),
        (
            {"email": "claire@test.fr", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "Cette adresse e-mail est déjà utilisée par un autre compte.",
        ),
        (
            {"email": "Dominique@Exemple.fr", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "Cette adresse e-mail est déjà utilisée par un autre compte.",
        ),
    ],
    ids=["too-short", "mismatch", "no-confirmation", "no-email", "bad-email", "staff", "taken"],
)
def test_set_password_refusals(
    db_app: Flask, world: World, data: dict[str, str], message: str
) -> None:
    _update(db_app, Beneficiary, world.other_beneficiary, email="dominique@exemple.fr")
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    response = _set_password(client, **data)
    assert response.status_code == 400
    page = _html(response)
    assert message in page
    assert 'role="alert"' in page
    assert page.count(message) == 2  # in the summary and next to the field
    assert data["password"] not in page or not data["password"]
    person = _get(db_app, Beneficiary, world.beneficiary)
    assert person.password_hash is None
    assert person.email is None


def test_set_password_is_for_beneficiaries_only(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    response = client.get("/compte/mot-de-passe")
    assert response.status_code == 403
    assert "Vous n’avez pas accès à cette page." in _html(response)
    response = _set_password(client, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 403


# --- a new link by mail -----------------------------------------------------------------


def _request_link(client: FlaskClient, address: str, **kwargs: Any) -> TestResponse:
    return client.post("/nouveau-lien", data={"email": address}, **kwargs)


def _link_in(message: email.message.EmailMessage) -> str:
    body = message.get_content()
    found = re.search(r"https?://\S+/invitation/\S+", body)
    assert found is not None, body
    return found.group(0)


def test_new_link_by_mail_signs_the_beneficiary_in(db_app: Flask, world: World) -> None:
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr", sign_in_way="mail")
    client = db_app.test_client()
    assert "Recevoir un nouveau lien" in _html(client.get("/nouveau-lien"))
    response = _request_link(client, " Camille@Exemple.fr ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/nouveau-lien/envoye"
    assert "Demande enregistrée" in _html(client.get("/nouveau-lien/envoye"))

    (path,) = _mails(db_app)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # carries a sign-in link
    message = _read_mail(path)
    assert message["To"] == "camille@exemple.fr"
    assert message["Subject"] == "Votre lien de connexion à Boussole"
    assert "Bonjour Camille," in message.get_content()
    link = _link_in(message)
    assert link.startswith("http://localhost/invitation/")

    assert not _signed_in_as_beneficiary(client)
    response = open_invitation(client, link.removeprefix("http://localhost"))
    assert response.status_code == 302
    assert _signed_in_as_beneficiary(client)
    assert client.get(link.removeprefix("http://localhost")).status_code == 410


def test_new_link_is_valid_one_day(db_app: Flask, world: World) -> None:
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    _request_link(db_app.test_client(), "camille@exemple.fr")
    with db_app.app_context(), db.standalone() as s:
        invitation = s.scalars(select(Invitation)).one()
        lifetime = invitation.expires_at - invitation.created_at
    assert 23 * 3600 < lifetime.total_seconds() <= 24 * 3600 + 1


def test_new_link_uses_public_url_not_the_host_header(db_app: Flask, world: World) -> None:
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    db_app.config["PUBLIC_URL"] = "https://bilan.exemple.fr/"
    client = db_app.test_client()
    _request_link(client, "camille@exemple.fr", headers={"Host": "evil.example"})
    (path,) = _mails(db_app)
    link = _link_in(_read_mail(path))
    assert link.startswith("https://bilan.exemple.fr/invitation/")
    assert "evil" not in link


def test_no_link_from_the_host_header_in_production(
    db_app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Without PUBLIC_URL, production sends nothing rather than trust the Host header."""
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    db_app.config["ENV_NAME"] = "production"
    response = _request_link(db_app.test_client(), "camille@exemple.fr")
    assert response.headers["Location"] == "/nouveau-lien/envoye"  # the same answer
    assert _mails(db_app) == []
    assert "set PUBLIC_URL in production" in caplog.text
    with db_app.app_context(), db.standalone() as s:
        assert s.scalars(select(Invitation)).all() == []  # no link that cannot be sent


def test_new_link_mail_in_the_beneficiary_language(db_app: Flask, world: World) -> None:
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr", language="en")
    _request_link(db_app.test_client(), "camille@exemple.fr")
    (path,) = _mails(db_app)
    message = _read_mail(path)
    assert message["Subject"] == "Your Boussole sign-in link"
    assert "Hello Camille," in message.get_content()


@pytest.mark.parametrize("address", ["personne@exemple.fr", "claire@test.fr", "admin@test.fr"])
def test_new_link_reveals_nothing_and_never_serves_staff(
    db_app: Flask, world: World, address: str
) -> None:
    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    client = db_app.test_client()
    known = _request_link(client, "camille@exemple.fr")
    other = _request_link(client, address)
    assert len(_mails(db_app)) == 1  # only the beneficiary's
    assert (other.status_code, other.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    assert _comparable(_html(other)) == _comparable(_html(known))
    with db_app.app_context(), db.standalone() as s:
        assert len(s.scalars(select(Invitation)).all()) == 1


def test_new_link_form_needs_an_address(db_app: Flask, world: World) -> None:
    response = _request_link(db_app.test_client(), "")
    assert response.status_code == 400
    assert "Saisissez votre adresse e-mail." in _html(response)
    assert _mails(db_app) == []


def test_a_mail_failure_is_logged_and_the_answer_unchanged(
    db_app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def send(self, to: str, subject: str, body_text: str) -> None:
            raise ConnectionRefusedError("no SMTP server")

    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    db_app.extensions["boussole.mail"] = Broken()
    response = _request_link(db_app.test_client(), "camille@exemple.fr")
    assert response.headers["Location"] == "/nouveau-lien/envoye"
    assert "sign-in link not sent" in caplog.text
    assert "/invitation/" not in caplog.text  # the link is never logged


def test_an_installed_sender_receives_the_mail(db_app: Flask, world: World) -> None:
    sent: list[tuple[str, str, str]] = []

    class Recorder:
        def send(self, to: str, subject: str, body_text: str) -> None:
            sent.append((to, subject, body_text))

    _update(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    db_app.extensions["boussole.mail"] = Recorder()
    _request_link(db_app.test_client(), "camille@exemple.fr")
    ((to, _subject, body),) = sent
    assert to == "camille@exemple.fr"
    assert "/invitation/" in body
    assert _mails(db_app) == []


# --- mail senders -----------------------------------------------------------------------


def test_mail_backend_is_chosen_by_configuration(tmp_path: Path) -> None:
    from service.mail import FolderMailSender, MailError, SmtpMailSender, mail_sender

    folder = mail_sender({"MAIL_FOLDER": str(tmp_path)})
    assert isinstance(folder, FolderMailSender)
    assert folder.folder == tmp_path
    smtp = mail_sender(
        {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "smtp.exemple.fr",
            "SMTP_PORT": "2525",  # from the environment: a string
            "SMTP_USER": "boussole",
            "SMTP_PASSWORD": "secret",
            "SMTP_STARTTLS": "false",
            "MAIL_FROM": "Centre <bilan@exemple.fr>",
        }
    )
    assert smtp == SmtpMailSender(
        host="smtp.exemple.fr",
        port=2525,
        user="boussole",
        password="secret",
        starttls=False,
        sender="Centre <bilan@exemple.fr>",
    )
    with pytest.raises(MailError, match="SMTP_HOST"):
        mail_sender({"MAIL_BACKEND": "smtp"})
    with pytest.raises(MailError, match="SMTP_PORT must be a whole number"):
        mail_sender({"MAIL_BACKEND": "smtp", "SMTP_HOST": "h", "SMTP_PORT": "vingt-cinq"})
    with pytest.raises(MailError, match="'folder' or 'smtp', not 'pigeon'"):
        mail_sender({"MAIL_BACKEND": "pigeon"})


def test_smtp_sender_uses_starttls_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    import smtplib

    import service.mail as mail

    events: list[tuple[str, Any]] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            events.append(("connect", (host, port)))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            events.append(("quit", None))

        def starttls(self, context: Any) -> None:
            events.append(("starttls", None))

        def login(self, user: str, password: str) -> None:
            events.append(("login", (user, password)))

        def send_message(self, message: email.message.EmailMessage) -> None:
            events.append(("send", (message["To"], message["Subject"], message.get_content())))

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    sender = mail.SmtpMailSender(host="smtp.exemple.fr", user="u", password="p")
    sender.send("camille@exemple.fr", "Sujet accentué", "Corps du message : é à ç\n")
    assert events == [
        ("connect", ("smtp.exemple.fr", 587)),
        ("starttls", None),
        ("login", ("u", "p")),
        ("send", ("camille@exemple.fr", "Sujet accentué", "Corps du message : é à ç\n")),
        ("quit", None),
    ]


# --- logout -----------------------------------------------------------------------------


def test_logout_works_for_staff_and_beneficiaries(db_app: Flask, world: World) -> None:
    staff = db_app.test_client()
    sign_in_staff(staff, "claire@test.fr")
    assert staff.get("/conseil/").status_code == 200
    response = staff.post("/deconnexion")
    assert response.status_code == 302
    assert "Vous êtes déconnecté·e." in _html(staff.get(response.headers["Location"]))
    assert staff.get("/conseil/").status_code == 302

    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    person.post("/langue", data={"lang": "en"})
    assert person.post("/deconnexion").status_code == 302
    assert not _signed_in_as_beneficiary(person)
    with person.session_transaction() as sess:
        assert dict(sess).get("lang") == "en"  # the language choice survives,
        assert dict(sess).get("way_back") == "password"  # and how the person comes back
        assert "_user_id" not in sess


def test_logout_is_post_only(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    assert client.get("/deconnexion").status_code == 405
    assert _signed_in_as_beneficiary(client)
