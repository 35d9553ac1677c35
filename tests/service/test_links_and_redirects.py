"""Links that leave the site by mail start with PUBLIC_URL whatever the Host header says, and
a ``next`` target is followed only when it is a path on this site."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.extensions import db
from service.models import Beneficiary
from service.web.redirects import safe_next
from tests.service.conftest import World

EVIL = "evil.test"
PUBLIC = "https://bilans.exemple.fr"


class Box:
    """A mail sender that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


@pytest.fixture
def box(db_app: Flask, world: World) -> Box:
    with db_app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, world.beneficiary)
        assert person is not None
        person.email = "camille@exemple.fr"
    mailer = Box()
    db_app.extensions["boussole.mail"] = mailer
    db_app.config["PUBLIC_URL"] = PUBLIC + "/"
    return mailer


@pytest.fixture
def claire(db_app: Flask, world: World) -> FlaskClient:
    """Claire, signed in through requests whose Host header names another site (the session
    cookie belongs to that host, so her later requests carry it)."""
    client = db_app.test_client()
    response = client.post(
        "/connexion",
        data={"email": "claire@test.fr", "password": world.password},
        environ_overrides={"HTTP_HOST": EVIL},
    )
    assert response.status_code == 302
    return client


def test_a_counsellor_invitation_mail_ignores_a_forged_host(
    box: Box, world: World, claire: FlaskClient
) -> None:
    response = claire.post(
        f"/conseil/bilans/{world.bilan}/lien",
        data={"send": "1"},
        environ_overrides={"HTTP_HOST": EVIL},
    )
    assert response.status_code == 200
    ((to, _subject, body),) = box.sent
    assert to == "camille@exemple.fr"
    assert f"{PUBLIC}/invitation/" in body and EVIL not in body
    shown = response.get_data(as_text=True).split('readonly value="')[1].split('"')[0]
    assert shown.startswith(f"{PUBLIC}/invitation/") and shown in body


def test_a_reminder_mail_ignores_a_forged_host(box: Box, world: World, claire: FlaskClient) -> None:
    aid = world.assignments["riasec-60"]
    claire.post(f"/conseil/questionnaires/{aid}/relance", environ_overrides={"HTTP_HOST": EVIL})
    ((_to, _subject, body),) = box.sent
    assert f"{PUBLIC}/connexion" in body and EVIL not in body


def test_the_satisfaction_link_ignores_a_forged_host(
    box: Box, world: World, claire: FlaskClient
) -> None:
    response = claire.post(
        f"/conseil/bilans/{world.bilan}/fin",
        data={"ended_on": "", "send_link": "y"},
        environ_overrides={"HTTP_HOST": EVIL},
    )
    assert response.status_code in (200, 302)
    bodies = [body for _to, _subject, body in box.sent]
    assert bodies, "the satisfaction link was not mailed"
    assert all(EVIL not in body for body in bodies)
    assert any(f"{PUBLIC}/invitation/" in body for body in bodies)


def test_without_public_url_production_mails_no_counsellor_link(
    db_app: Flask, box: Box, world: World, claire: FlaskClient
) -> None:
    db_app.config["PUBLIC_URL"] = None
    db_app.config["ENV_NAME"] = "production"
    response = claire.post(
        f"/conseil/bilans/{world.bilan}/lien",
        data={"send": "1"},
        environ_overrides={"HTTP_HOST": EVIL},
    )
    assert response.status_code == 200
    assert box.sent == []
    page = response.get_data(as_text=True)
    assert "PUBLIC_URL" in page and EVIL not in page


# --- the redirect guard ---------------------------------------------------------------------

HOSTILE = [
    "//evil.test",
    "///evil.test",
    "/\\evil.test",
    "\\\\evil.test",
    "/\t/evil.test",
    "/\n/evil.test",
    "https://evil.test/",
    "javascript:alert(1)",
    "evil.test",
    "",
    # added: mixed forms a browser still reads as another host or a script
    "/\t\\evil.test",
    "\\/evil.test",
    "/\r\n/evil.test",
    "HTTPS://evil.test",
    "JaVaScRiPt:alert(1)",
    "data:text/html,x",
    " //evil.test",
    "////evil.test",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_refuses_other_hosts(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/conseil/", "/espace/?x=1#y", "/%2F/evil.test"])
def test_safe_next_keeps_paths_of_this_site(target: str) -> None:
    assert safe_next(target) == target


QUERY_HOSTILE = [
    "%2F%09%2Fevil.test",
    "%2F%5Cevil.test",
    "%2F%2Fevil.test",
    # added
    "%2F%2F%2Fevil.test",
    "///evil.test",
    "%5C%5Cevil.test",
    "%2F%0A%2Fevil.test",
    "https%3A%2F%2Fevil.test",
    "javascript%3Aalert(1)",
]


@pytest.mark.parametrize("target", QUERY_HOSTILE)
def test_sign_in_never_redirects_to_another_host(db_app: Flask, world: World, target: str) -> None:
    client = db_app.test_client()
    response = client.post(
        f"/connexion?next={target}",
        data={"email": "claire@test.fr", "password": world.password},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/conseil/"


@pytest.mark.parametrize("target", QUERY_HOSTILE)
def test_beneficiary_sign_in_never_redirects_to_another_host(
    db_app: Flask, world: World, target: str
) -> None:
    from service.extensions import db
    from service.models import Beneficiary
    from service.security import hash_password

    with db_app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, world.beneficiary)
        assert person is not None
        person.email, person.password_hash = "camille@test.fr", hash_password(world.password)
    response = db_app.test_client().post(
        f"/connexion?next={target}", data={"email": "camille@test.fr", "password": world.password}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"


def test_sign_in_follows_a_path_of_this_site(db_app: Flask, world: World) -> None:
    response = db_app.test_client().post(
        "/connexion?next=%2Fconseil%2F%3Fpage%3D2",
        data={"email": "claire@test.fr", "password": world.password},
    )
    assert response.headers["Location"] == "/conseil/?page=2"


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_redirects_to_another_host(db_app: Flask, target: str) -> None:
    response = db_app.test_client().post("/langue", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(db_app: Flask) -> None:
    response = db_app.test_client().post("/langue", data={"lang": "en", "next": "/connexion"})
    assert response.headers["Location"] == "/connexion"


def test_the_redirect_guard_doctests_pass() -> None:
    import doctest

    from service.web import redirects

    result = doctest.testmod(redirects)
    assert result.attempted >= 2 and result.failed == 0
