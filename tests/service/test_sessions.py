"""Sessions end on the server's word: a cookie replayed after logout, a new password or a
deactivation opens nothing; idle sessions and old sessions end (fake clock); signing in
gives a new CSRF token."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import dates
from service.extensions import db
from service.features.accounts import staff as staff_accounts
from service.models import StaffUser
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff

START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(dates, "utcnow", fake)
    return fake


def _copy_cookie(source: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of ``source``'s session cookie."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _dashboard(client: FlaskClient) -> int:
    return client.get("/conseil/").status_code


def _home(client: FlaskClient) -> int:
    return client.get("/espace/").status_code


def test_a_staff_cookie_replayed_after_logout_opens_nothing(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    copy = _copy_cookie(client, db_app)
    assert _dashboard(copy) == 200  # the copy works while the session is open
    assert client.post("/deconnexion").status_code == 302
    response = copy.get("/conseil/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_a_beneficiary_cookie_replayed_after_logout_opens_nothing(
    db_app: Flask, world: World
) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    copy = _copy_cookie(client, db_app)
    assert _home(copy) == 200
    client.post("/deconnexion")
    assert _home(copy) == 302


def test_a_new_password_ends_the_other_sessions_not_this_one(db_app: Flask, world: World) -> None:
    here = db_app.test_client()
    sign_in_beneficiary(here, db_app, world.beneficiary)
    elsewhere = _copy_cookie(here, db_app)
    sign_in_beneficiary(elsewhere, db_app, world.beneficiary)  # a second device
    response = here.post(
        "/compte/mot-de-passe",
        data={
            "email": "camille@exemple.fr",
            "password": "une phrase de passe solide",
            "confirm": "une phrase de passe solide",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert _home(here) == 200
    assert _home(elsewhere) == 302


def test_a_staff_password_reset_ends_open_sessions(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    with db_app.app_context(), db.standalone() as s:
        staff = s.get(StaffUser, world.counsellor)
        assert staff is not None
        token = staff_accounts.issue_token(s, staff, "reset")
    with db_app.app_context(), db.standalone() as s:
        staff_accounts.set_password_with_token(s, token, "une phrase de passe solide")
    assert _dashboard(client) == 302


def test_deactivation_ends_the_session(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    with db_app.app_context(), db.standalone() as s:
        staff, successor = (
            s.get(StaffUser, world.counsellor),
            s.get(StaffUser, world.other_counsellor),
        )
        assert staff is not None and successor is not None
        staff_accounts.deactivate(s, staff, by=None, successor=successor)
    assert _dashboard(client) == 302


def test_a_staff_session_ends_after_30_idle_minutes(
    db_app: Flask, world: World, clock: Clock
) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    clock.advance(minutes=29)
    assert _dashboard(client) == 200  # activity: the idle time starts again
    clock.advance(minutes=29)
    assert _dashboard(client) == 200
    clock.advance(minutes=31)
    response = client.get("/conseil/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")
    clock.advance(minutes=1)
    assert _dashboard(client) == 302  # it does not come back


def test_a_beneficiary_has_60_idle_minutes(db_app: Flask, world: World, clock: Clock) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    clock.advance(minutes=45)
    assert _home(client) == 200  # a staff session would have ended
    clock.advance(minutes=61)
    assert _home(client) == 302


def test_the_idle_limit_is_configurable(db_app: Flask, world: World, clock: Clock) -> None:
    db_app.config["STAFF_IDLE_MINUTES"] = 5
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    clock.advance(minutes=6)
    assert _dashboard(client) == 302


def test_any_session_ends_after_12_hours(db_app: Flask, world: World, clock: Clock) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    for _ in range(28):  # busy all day, never idle for long: up to 11 h 40
        clock.advance(minutes=25)
        assert _dashboard(client) == 200
    clock.advance(minutes=25)  # 12 h 05 after signing in, 25 minutes after the last page
    assert _dashboard(client) == 302


def test_signing_in_gives_a_new_csrf_token(csrf_app: Flask, world: World) -> None:
    client = csrf_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found
    with client.session_transaction() as session:
        before = session["csrf_token"]
    response = client.post(
        "/connexion",
        data={"email": "claire@test.fr", "password": world.password, "csrf_token": found.group(1)},
    )
    assert response.status_code == 302
    assert client.get("/conseil/").status_code == 200  # a page with forms: a token again
    with client.session_transaction() as session:
        assert session["csrf_token"] != before
