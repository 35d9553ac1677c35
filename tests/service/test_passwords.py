"""Password strength (zxcvbn, offline, plus the person's own address and name) on every
page that sets a password, and argon2 hashes rehashed at sign-in when the parameters
change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask import Flask

from service.extensions import db
from service.features.accounts import staff as staff_accounts
from service.models import Beneficiary, StaffUser
from service.security import needs_rehash, password_weakness, verify_password
from tests.service.conftest import World, sign_in_beneficiary

WEAK = ["aaaaaaaaaa", "1234567890", "password12", "azertyuiop", "motdepasse123"]
GUESSABLE = "Ce mot de passe est trop facile à deviner"
PERSONAL = "Le mot de passe ne peut pas reprendre votre adresse e-mail ou votre nom."


def _set_password(client, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/compte/mot-de-passe",
        data={"email": "camille@exemple.fr", "password": password, "confirm": password},
    )


def _hash_of(app: Flask, model: type, pk: int) -> str | None:
    with app.app_context(), db.standalone() as s:
        record = s.get(model, pk)
        return record.password_hash  # type: ignore[no-any-return, union-attr]


@pytest.mark.parametrize("password", WEAK)
def test_a_beneficiary_cannot_choose_a_guessable_password(
    db_app: Flask, world: World, password: str
) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    response = _set_password(client, password)
    assert response.status_code == 400
    assert GUESSABLE in response.get_data(as_text=True)
    assert _hash_of(db_app, Beneficiary, world.beneficiary) is None  # nothing saved


@pytest.mark.parametrize("password", ["camille@exemple.fr", "Camille@Exemple.fr1"])
def test_a_beneficiary_cannot_choose_their_own_address(
    db_app: Flask, world: World, password: str
) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    response = _set_password(client, password)
    assert response.status_code == 400
    assert PERSONAL in response.get_data(as_text=True)
    assert _hash_of(db_app, Beneficiary, world.beneficiary) is None


def test_a_strong_password_is_accepted(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    assert _set_password(client, "trois chats sous la pluie verte").status_code == 302
    stored = _hash_of(db_app, Beneficiary, world.beneficiary)
    assert verify_password(stored, "trois chats sous la pluie verte")


@pytest.mark.parametrize(
    ("password", "message"),
    [("password12", GUESSABLE), ("1234567890", GUESSABLE), ("claire@test.fr", PERSONAL)],
)
def test_staff_passwords_are_checked_too(
    db_app: Flask, world: World, password: str, message: str
) -> None:
    with db_app.app_context(), db.standalone() as s:
        staff = s.get(StaffUser, world.counsellor)
        assert staff is not None
        token = staff_accounts.issue_token(s, staff, "reset")
    response = db_app.test_client().post(
        f"/compte/choisir-mot-de-passe/{token}", data={"password": password, "confirm": password}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_persons_name_is_refused() -> None:
    assert password_weakness("Camille Martin", ["c@x.fr", "Camille", "Martin"]) == "personal"


def test_an_old_hash_is_rehashed_at_sign_in(db_app: Flask, world: World) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(world.password)
    assert needs_rehash(old)
    with db_app.app_context(), db.standalone() as s:
        staff = s.get(StaffUser, world.counsellor)
        assert staff is not None
        staff.password_hash = old
    client = db_app.test_client()
    response = client.post(
        "/connexion", data={"email": "claire@test.fr", "password": world.password}
    )
    assert response.status_code == 302
    new = _hash_of(db_app, StaffUser, world.counsellor)
    assert new is not None and new != old
    assert not needs_rehash(new) and verify_password(new, world.password)
    # a current hash is left alone
    db_app.test_client().post(
        "/connexion", data={"email": "claire@test.fr", "password": world.password}
    )
    assert _hash_of(db_app, StaffUser, world.counsellor) == new


def test_production_keeps_argon2s_strong_costs_and_only_tests_hash_cheaply() -> None:
    """tests/conftest.py gives every test cheap argon2 parameters (speed): the module as
    production imports it, in a fresh interpreter, still has RFC 9106's low-memory costs."""
    import subprocess
    import sys

    from service import security

    probe = (
        "from service.security import _hasher as h;"
        " print(h.time_cost, h.memory_cost, h.parallelism)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    time_cost, memory_kib, parallelism = (int(v) for v in out)
    assert time_cost >= 3 and memory_kib >= 64 * 1024 and parallelism >= 1
    assert (security._hasher.time_cost, security._hasher.memory_cost) == (1, 8)  # the tests'
