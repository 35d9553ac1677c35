"""Fixtures of the service tests: app, client, CLI runner and file factories."""

from __future__ import annotations

import re
import shutil
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from instruments import BUILTIN_DIR
from service.app import create_app

#: The data key of every app the service tests create (apps, CLI commands, migrations), so
#: that all of them read what the others wrote. A constant: test modules import this module
#: again (``tests.service.conftest``), a key drawn at import would differ. Tests only.
TEST_DATA_KEY = "OpyrF5FUYYFSYVypI7_NDaoCdOqx3ap56QGNhrg5sDk="


@pytest.fixture(autouse=True)
def _no_boussole_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``create_app`` reads ``BOUSSOLE_*`` variables: tests must not see the caller's; they
    all share the session's data key (``BOUSSOLE_DATA_KEYS``). No in-process job thread
    (``BOUSSOLE_JOBS_IN_PROCESS=0``), also in the apps made outside ``TESTING`` (production
    headers, sign-in limits): a thread left running would hold database connections after
    its test; the runner's own tests ask for it in their configuration."""
    import os

    for key in list(os.environ):
        if key.startswith("BOUSSOLE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("BOUSSOLE_DATA_KEYS", TEST_DATA_KEY)
    monkeypatch.setenv("BOUSSOLE_JOBS_IN_PROCESS", "0")


class _HeldEngines(weakref.WeakSet[Engine]):
    """``service.db.ENGINES`` during a test: also keeps each new engine alive."""

    def __init__(self, engines: Iterable[Engine]) -> None:
        self.held: list[Engine] = []
        super().__init__()
        for engine in engines:
            super().add(engine)  # made before this test: not held, not closed by it

    def add(self, item: Engine) -> None:
        super().add(item)
        self.held.append(item)


@pytest.fixture(autouse=True)
def _close_new_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the pooled connections of every engine a test made (apps, CLI commands):
    PostgreSQL connections left to the garbage collector raise ResourceWarnings whenever
    it runs. The engines are held until the end of the test: ``create_app`` replaces the
    shared engine (a CLI command run after ``db_app``), and the replaced one, collected
    mid-test with its connections open, made such tests fail now and then."""
    import service.db

    engines = _HeldEngines(service.db.ENGINES)
    monkeypatch.setattr(service.db, "ENGINES", engines)
    yield
    for engine in engines.held:
        engine.dispose()


@pytest.fixture
def app() -> Iterator[Flask]:
    app = create_app({"TESTING": True})
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def bfi_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the built-in BFI (and its norms) into a folder, with ``(old, new)`` edits."""

    def make(*edits: tuple[str, str], folder: str = "instruments") -> Path:
        target = tmp_path / folder
        target.mkdir(exist_ok=True)
        shutil.copy(BUILTIN_DIR / "ipip-bfi-25.norms.json", target)
        text = (BUILTIN_DIR / "ipip-bfi-25.yaml").read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, f"test set-up: {old!r} is not in the built-in file"
            text = text.replace(old, new, 1)
        path = target / "ipip-bfi-25.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return make


# --- database-backed apps ---------------------------------------------------------------
# Every test gets an empty, migrated database: SQLite always; PostgreSQL too when
# BOUSSOLE_TEST_DATABASE_URL is set (CI sets it), through the ``db_url`` parameter.

import os  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from sqlalchemy import text  # noqa: E402

PG_URL = os.environ.get("BOUSSOLE_TEST_DATABASE_URL")
DB_KINDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
# Under pytest-xdist (the README's test command runs ``-n auto``), each worker has its own
# PostgreSQL database beside the given one, created on first use: the fixtures truncate and
# migrate their database, which two workers must never share.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_database(url: str) -> str:
    """``url`` itself, or under xdist a database of this worker on the same server."""
    if not XDIST_WORKER:
        return url
    from sqlalchemy.engine import make_url

    from service.db import make_engine

    base = make_url(url)
    name = f"{base.database}_{XDIST_WORKER}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from service.migrate import upgrade

    path = tmp_path_factory.mktemp("dbtemplate") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_migrated() -> str | None:
    if not PG_URL:
        return None
    from service.db import make_engine
    from service.migrate import upgrade

    url = _worker_database(PG_URL)
    engine = make_engine(url)
    with engine.begin() as conn:  # start from nothing, then migrate like a user would
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(params=DB_KINDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _postgres_migrated: str | None,
) -> str:
    if request.param == "sqlite":
        path = tmp_path / "boussole.sqlite"
        shutil.copy(_sqlite_template, path)
        return f"sqlite:///{path}"
    from service.db import Base, make_engine

    assert _postgres_migrated is not None
    engine = make_engine(_postgres_migrated)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _postgres_migrated


@pytest.fixture
def db_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty migrated database; CSRF off (see ``csrf_app`` for CSRF tests)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
            "MAIL_FOLDER": str(tmp_path / "mail"),
        }
    )
    yield app
    from service.extensions import db

    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def csrf_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Like ``db_app`` but with CSRF protection on, as in production."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
            "MAIL_FOLDER": str(tmp_path / "mail"),
        }
    )
    yield app
    from service.extensions import db

    if db.engine is not None:
        db.engine.dispose()


@dataclass
class World:
    """Ids of a small centre: two counsellors, two beneficiaries, one bilan each."""

    centre: int
    counsellor: int
    other_counsellor: int
    admin: int
    beneficiary: int
    other_beneficiary: int
    bilan: int
    other_bilan: int
    assignments: dict[str, int]  # instrument id -> assignment id (beneficiary's bilan)
    other_assignment: int  # one assignment of the other beneficiary
    password: str = "mot-de-passe-de-test"


@pytest.fixture
def world(db_app: Flask) -> World:
    """Create the records; instruments assigned: riasec-60, valeurs-travail, ipip-bfi-25."""
    from service.extensions import db
    from service.models import Assignment, Beneficiary, Bilan, Centre, StaffUser
    from service.security import hash_password

    instruments = db_app.extensions["boussole.instruments"]
    with db_app.app_context(), db.standalone() as s:
        centre = Centre(name="Centre test")
        s.add(centre)
        s.flush()
        pw = hash_password("mot-de-passe-de-test")
        staff = [
            StaffUser(centre_id=centre.id, email=f"{n}@test.fr", name=n, role=r, password_hash=pw)
            for n, r in (("claire", "counsellor"), ("paul", "counsellor"), ("admin", "admin"))
        ]
        people = [
            Beneficiary(centre_id=centre.id, first_name="Camille", last_name="Martin"),
            Beneficiary(centre_id=centre.id, first_name="Dominique", last_name="Petit"),
        ]
        s.add_all(staff + people)
        s.flush()
        bilans = []
        for person, counsellor in zip(people, staff[:2], strict=True):
            bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
            bilan.counsellors.append(counsellor)
            s.add(bilan)
            s.flush()
            bilans.append(bilan)
        assignments = {}
        for iid in ("riasec-60", "valeurs-travail", "ipip-bfi-25"):
            a = Assignment(
                bilan_id=bilans[0].id,
                instrument_id=iid,
                instrument_version=instruments[iid].version,
            )
            s.add(a)
            s.flush()
            assignments[iid] = a.id
        other = Assignment(
            bilan_id=bilans[1].id,
            instrument_id="ipip-bfi-25",
            instrument_version=instruments["ipip-bfi-25"].version,
        )
        s.add(other)
        s.flush()
        return World(
            centre=centre.id,
            counsellor=staff[0].id,
            other_counsellor=staff[1].id,
            admin=staff[2].id,
            beneficiary=people[0].id,
            other_beneficiary=people[1].id,
            bilan=bilans[0].id,
            other_bilan=bilans[1].id,
            assignments=assignments,
            other_assignment=other.id,
        )


def invitation_token(app: Flask, beneficiary_id: int, *, days: int = 14) -> str:
    """A fresh invitation link token for a beneficiary."""
    from service.extensions import db
    from service.features.accounts.invitations import create_invitation
    from service.models import Beneficiary

    with app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, beneficiary_id)
        assert person is not None
        return create_invitation(s, person, days=days)


def mark_way_chosen(app: Flask, beneficiary_id: int) -> None:
    """Record that the person already chose how to come back (a password), as after a first
    visit: the pages then open without asking it first. Test set-up only: no password hash
    is stored (argon2 is slow on purpose), so ``password_hash`` stays as it was."""
    from service.extensions import db
    from service.models import Beneficiary, SignInWay

    with app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, beneficiary_id)
        assert person is not None
        person.sign_in_way = SignInWay.PASSWORD


def sign_in_beneficiary(
    client: FlaskClient, app: Flask, beneficiary_id: int, *, first_visit: bool = False
) -> None:
    """Open a fresh invitation link; unless ``first_visit``, as a person who already chose
    how to come back (see :func:`mark_way_chosen`)."""
    if not first_visit:
        mark_way_chosen(app, beneficiary_id)
    response = open_invitation(client, f"/invitation/{invitation_token(app, beneficiary_id)}")
    assert response.status_code == 302, response.status_code


def open_invitation(client: FlaskClient, path: str) -> TestResponse:
    """Open an invitation link as a person does: the page (a GET, which changes nothing),
    then its button (a POST with the page's CSRF token, when CSRF is on)."""
    page = client.get(path)
    if page.status_code != 200:
        return page
    found = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    return client.post(path, data={"csrf_token": found.group(1)} if found else {})


def sign_in_staff(client: FlaskClient, email: str, password: str = "mot-de-passe-de-test") -> None:
    response = client.post("/connexion", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@dataclass
class OtherCentre:
    """Ids of another centre made by :func:`other_centre`."""

    centre: int
    staff: dict[str, int]  # e-mail -> id
    beneficiary: int | None
    bilan: int | None


def other_centre(
    app: Flask,
    *,
    staff: tuple[tuple[str, str], ...] = (("admin@autre.fr", "admin"),),
    beneficiary: bool = False,
) -> OtherCentre:
    """Another centre ("Autre centre") with its staff (``(e-mail, role)`` pairs, password
    "mot-de-passe-de-test"), and with ``beneficiary`` a person and a bilan followed by the
    first counsellor given (or by nobody)."""
    from service.extensions import db
    from service.models import Beneficiary, Bilan, Centre, StaffUser
    from service.security import hash_password

    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Autre centre")
        s.add(centre)
        s.flush()
        pw = hash_password("mot-de-passe-de-test")
        people = [
            StaffUser(
                centre_id=centre.id,
                email=email,
                name=email.split("@")[0].capitalize(),
                role=role,
                password_hash=pw,
            )
            for email, role in staff
        ]
        s.add_all(people)
        s.flush()
        person_id = bilan_id = None
        if beneficiary:
            person = Beneficiary(centre_id=centre.id, first_name="Alex", last_name="Roy")
            s.add(person)
            s.flush()
            bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
            bilan.counsellors.extend(p for p in people[:1] if p.role == "counsellor")
            s.add(bilan)
            s.flush()
            person_id, bilan_id = person.id, bilan.id
        return OtherCentre(centre.id, {p.email: p.id for p in people}, person_id, bilan_id)


helpers = SimpleNamespace(
    other_centre=other_centre,
    invitation_token=invitation_token,
    sign_in_beneficiary=sign_in_beneficiary,
    open_invitation=open_invitation,
    mark_way_chosen=mark_way_chosen,
    sign_in_staff=sign_in_staff,
)


@pytest.fixture
def claire(db_app: Flask, world: World) -> FlaskClient:
    """Claire, the world's counsellor, signed in."""
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    return client


@pytest.fixture
def camille(db_app: Flask, world: World) -> FlaskClient:
    """Camille, the world's beneficiary, signed in (her way back already chosen)."""
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    return client


# --- the ROME job database ---------------------------------------------------------------------

ROME_FIXTURE = Path(__file__).parent / "data" / "rome"  # a small release 59, written by hand
ROME_FULL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "rome"


@pytest.fixture
def rome_app(db_app: Flask) -> Flask:
    """``db_app`` with the small fixture release imported (3 fiches, 7 appellations)."""
    from service.extensions import db
    from service.features.metiers.importer import import_release

    with db_app.app_context(), db.standalone() as s:
        import_release(s, ROME_FIXTURE)
    return db_app


@pytest.fixture(scope="session")
def _sqlite_rome_template(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated template with the shipped snapshot loaded, once per test session
    (loading it takes a few seconds: copy this file rather than load it again)."""
    from sqlalchemy.orm import Session

    from service.db import make_engine
    from service.features.metiers.importer import ensure_snapshot

    path = tmp_path_factory.mktemp("dbtemplate-rome") / "template.sqlite"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        ensure_snapshot(s)
        s.commit()
    engine.dispose()
    return path


@pytest.fixture
def snapshot_app(_sqlite_rome_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """An app (SQLite, CSRF off) on a database holding the shipped ROME snapshot."""
    path = tmp_path / "boussole-rome.sqlite"
    shutil.copy(_sqlite_rome_template, path)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
            "MAIL_FOLDER": str(tmp_path / "mail"),
        }
    )
    yield app
    from service.extensions import db

    if db.engine is not None:
        db.engine.dispose()
