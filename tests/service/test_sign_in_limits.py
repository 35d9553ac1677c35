"""Brute force and abuse: a per-account back-off after wrong passwords (fake clock), rate
limits per client and per typed address (Flask-Limiter, tested here with low limits; the
rest of the suite runs without them), and answers that reveal nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service import dates
from service.extensions import db, limiter
from service.models import Beneficiary, StaffUser
from tests.service.conftest import World

PASSWORD = "mot-de-passe-de-test"
WRONG = "pas le bon mot de passe"
START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(dates, "utcnow", fake)
    return fake


@pytest.fixture
def limits(db_url: str, tmp_path: Path, world: World) -> Iterator[Flask]:
    """An app on the same database with the rate limits on, at low values."""
    from service.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
            "MAIL_FOLDER": str(tmp_path / "mail"),
            "RATELIMIT_ENABLED": True,
            "SIGN_IN_RATE_LIMIT": "3 per minute",
            "LINK_RATE_LIMIT": "2 per hour",
            "PASSWORD_RATE_LIMIT": "2 per hour",
        }
    )
    limiter.reset()
    yield app
    limiter.reset()


def _login(client: FlaskClient, email: str, password: str) -> TestResponse:
    return client.post("/connexion", data={"email": email, "password": password})


def _page(response: TestResponse) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r'(name="csrf_token"[^>]*value="[^"]*"|value="[^"]*@[^"]*")', "", html)


def _account(app: Flask, model: Any, pk: int) -> Any:
    with app.app_context(), db.standalone() as s:
        record = s.get(model, pk)
        s.expunge(record)
        return record


def test_the_suite_runs_without_rate_limits(db_app: Flask) -> None:
    assert db_app.config["RATELIMIT_ENABLED"] is False
    assert create_default_enabled()


def create_default_enabled() -> bool:
    from service.config import DEFAULTS

    return DEFAULTS["RATELIMIT_ENABLED"] is True


def test_the_sixth_attempt_after_five_wrong_passwords_waits(
    db_app: Flask, world: World, clock: Clock
) -> None:
    client = db_app.test_client()
    for _ in range(5):
        assert _login(client, "claire@test.fr", WRONG).status_code == 401
    refused = _login(client, "claire@test.fr", PASSWORD)  # even the right one, for now
    assert refused.status_code == 401
    assert client.get("/conseil/").status_code == 302
    staff = _account(db_app, StaffUser, world.counsellor)
    assert staff.failed_sign_ins == 5 and staff.sign_in_locked_until is not None

    clock.now += dt.timedelta(seconds=31)
    assert _login(client, "claire@test.fr", PASSWORD).status_code == 302
    staff = _account(db_app, StaffUser, world.counsellor)
    assert staff.failed_sign_ins == 0 and staff.sign_in_locked_until is None


def test_the_delay_grows_with_each_new_failure(db_app: Flask, world: World, clock: Clock) -> None:
    client = db_app.test_client()
    for _ in range(5):
        _login(client, "claire@test.fr", WRONG)
    clock.now += dt.timedelta(seconds=31)
    _login(client, "claire@test.fr", WRONG)  # the 6th: now 60 s
    clock.now += dt.timedelta(seconds=45)
    assert _login(client, "claire@test.fr", PASSWORD).status_code == 401
    clock.now += dt.timedelta(seconds=16)
    assert _login(client, "claire@test.fr", PASSWORD).status_code == 302


def test_locked_unknown_and_wrong_answer_alike(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    wrong = _login(client, "paul@test.fr", WRONG)
    unknown = _login(client, "personne@test.fr", WRONG)
    for _ in range(5):
        _login(client, "claire@test.fr", WRONG)
    locked = _login(client, "claire@test.fr", PASSWORD)
    assert wrong.status_code == unknown.status_code == locked.status_code == 401
    assert _page(wrong) == _page(unknown) == _page(locked)


def test_a_beneficiary_account_has_the_same_back_off(db_app: Flask, world: World) -> None:
    from service.security import hash_password

    with db_app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, world.beneficiary)
        assert person is not None
        person.email, person.password_hash = "camille@test.fr", hash_password(PASSWORD)
    client = db_app.test_client()
    for _ in range(5):
        _login(client, "camille@test.fr", WRONG)
    assert _login(client, "camille@test.fr", PASSWORD).status_code == 401


def test_sign_in_is_rate_limited_per_client(limits: Flask, world: World) -> None:
    client = limits.test_client()
    for address in ("a@test.fr", "b@test.fr", "c@test.fr"):  # not one account: the client
        assert _login(client, address, WRONG).status_code == 401
    limited = _login(client, "claire@test.fr", PASSWORD)
    assert limited.status_code == 429
    assert "Trop de tentatives en peu de temps" in limited.get_data(as_text=True)
    assert client.get("/connexion").status_code == 200  # the page itself still opens


def _mails(app: Flask) -> list[Path]:
    folder = Path(app.config["MAIL_FOLDER"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_new_links_are_limited_per_address(limits: Flask, world: World) -> None:
    with limits.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, world.beneficiary)
        assert person is not None
        person.email = "camille@test.fr"
    answers = []
    for n in range(4):  # from four different clients, as a botnet would
        client = limits.test_client()
        environ = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        response = client.post(
            "/nouveau-lien", data={"email": "camille@test.fr"}, environ_base=environ
        )
        answers.append(response.status_code)
    assert answers == [302, 302, 429, 429]
    assert len(_mails(limits)) == 2
    unknown = [
        limits.test_client()
        .post("/nouveau-lien", data={"email": "x@test.fr"}, environ_base={"REMOTE_ADDR": ip})
        .status_code
        for ip in ("10.1.0.1", "10.1.0.2", "10.1.0.3")
    ]
    assert unknown == [302, 302, 429]  # an unknown address is limited the same way


def test_forgotten_password_is_limited(limits: Flask, world: World) -> None:
    client = limits.test_client()
    codes = [
        client.post("/compte/mot-de-passe-oublie", data={"email": "claire@test.fr"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_behind_nginx_the_limit_counts_the_real_client(limits: Flask, world: World) -> None:
    limits.config["FORWARDED_PROXIES"] = 1
    codes = []
    for n in range(4):  # four people of the centre, all through nginx (127.0.0.1)
        client = limits.test_client()
        headers = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
        codes.append(_login_from(client, headers).status_code)
    assert codes == [401, 401, 401, 401]  # nobody is limited by the others
    client = limits.test_client()
    same = [_login_from(client, {"X-Forwarded-For": "198.51.100.7"}).status_code for _ in range(4)]
    assert same == [401, 401, 401, 429]
    spoofed = {"X-Forwarded-For": "1.2.3.4, 198.51.100.7"}  # a forged first hop is ignored
    assert _login_from(client, spoofed).status_code == 429


def _login_from(client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    return client.post(
        "/connexion", data={"email": "x@test.fr", "password": WRONG}, headers=headers
    )
