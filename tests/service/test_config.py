"""Configuration layers, the production guard, and a database that only ``boussole db
upgrade`` creates.

Each test gets its own instance folder (Flask's instance path is redirected), so nothing
is written next to the sources.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import inspect

from service.app import create_app
from service.config import MIN_SECRET_LENGTH, ConfigError
from service.db import Base, make_engine

STRONG_KEY = "k" * MIN_SECRET_LENGTH


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The instance folder of every app created in the test (not created in advance)."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    return folder


def _write_instance_file(instance: Path, text: str) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "boussole.cfg").write_text(text, encoding="utf-8")


# --- layers -----------------------------------------------------------------------------


def test_defaults(instance: Path) -> None:
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["ENV_NAME"] == "development"
    assert app.config["INVITATION_DAYS"] == 14
    assert app.config["BABEL_DEFAULT_LOCALE"] == "fr"
    assert app.config["MAIL_FOLDER"] == str(instance / "mail")
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_default_database_is_sqlite_in_the_instance_folder(instance: Path) -> None:
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'boussole.sqlite'}"


def test_development_key_is_random_private_and_kept(instance: Path) -> None:
    first = create_app().config["SECRET_KEY"]
    assert len(first) >= MIN_SECRET_LENGTH
    key_file = instance / "secret_key"
    assert key_file.read_text(encoding="utf-8").strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first  # sessions survive a restart


def test_layers_defaults_file_environment_mapping(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_instance_file(
        instance,
        "INVITATION_DAYS = 3\n"
        "ITEMS_PER_PAGE = 4\n"
        "PUBLIC_URL = 'https://fichier.exemple.fr'\n"
        "MAIL_FOLDER = '/srv/courrier-fichier'\n",
    )
    monkeypatch.setenv("BOUSSOLE_ITEMS_PER_PAGE", "5")
    monkeypatch.setenv("BOUSSOLE_PUBLIC_URL", "https://env.exemple.fr")
    app = create_app({"PUBLIC_URL": "https://mapping.exemple.fr"})
    assert app.config["ENV_NAME"] == "development"  # default, untouched
    assert app.config["INVITATION_DAYS"] == 3  # file over default
    assert app.config["MAIL_FOLDER"] == "/srv/courrier-fichier"
    assert app.config["ITEMS_PER_PAGE"] == 5  # environment over file
    assert app.config["PUBLIC_URL"] == "https://mapping.exemple.fr"  # mapping over all


def test_environment_values_are_coerced_to_the_default_type(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUSSOLE_INVITATION_DAYS", " 7 ")
    monkeypatch.setenv("BOUSSOLE_SESSION_COOKIE_HTTPONLY", "false")
    monkeypatch.setenv("BOUSSOLE_SESSION_COOKIE_SECURE", "Oui")
    monkeypatch.setenv("BOUSSOLE_PUBLIC_URL", "https://bilan.exemple.fr")
    app = create_app()
    assert app.config["INVITATION_DAYS"] == 7
    assert app.config["SESSION_COOKIE_HTTPONLY"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_URL"] == "https://bilan.exemple.fr"


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "on", "oui"])
def test_true_words(instance: Path, monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    monkeypatch.setenv("BOUSSOLE_SESSION_COOKIE_SECURE", word)
    assert create_app().config["SESSION_COOKIE_SECURE"] is True


def test_a_bad_whole_number_names_the_variable(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUSSOLE_INVITATION_DAYS", "quatorze")
    with pytest.raises(ConfigError) as info:
        create_app()
    assert "BOUSSOLE_INVITATION_DAYS" in str(info.value)
    assert "'quatorze'" in str(info.value)


# --- production guard -------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "court", "k" * (MIN_SECRET_LENGTH - 1)])
def test_production_refuses_a_missing_or_short_secret(
    instance: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("BOUSSOLE_ENV_NAME", "production")
    if secret is not None:
        monkeypatch.setenv("BOUSSOLE_SECRET_KEY", secret)
    with pytest.raises(ConfigError) as info:
        create_app()
    assert "BOUSSOLE_SECRET_KEY" in str(info.value)
    assert str(MIN_SECRET_LENGTH) in str(info.value)
    assert not (instance / "secret_key").exists()  # no development key as a fallback


def test_production_accepts_a_long_secret(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOUSSOLE_ENV_NAME", "production")
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", STRONG_KEY)
    app = create_app()
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (instance / "secret_key").exists()


def test_production_through_the_mapping(instance: Path) -> None:
    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "trop-court"})
    assert create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY}).config[
        "SESSION_COOKIE_SECURE"
    ]


# --- the database is never a side effect -------------------------------------------------


def test_create_app_does_not_create_the_database(instance: Path) -> None:
    app = create_app()
    app.test_client().get("/")  # a request that needs no database
    app.test_client().get("/connexion")
    assert not (instance / "boussole.sqlite").exists()


def test_create_app_does_not_create_tables(instance: Path, tmp_path: Path) -> None:
    path = tmp_path / "vide.sqlite"
    sqlite3.connect(path).close()  # an existing, empty database
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": STRONG_KEY})
    app.test_client().get("/")
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_boussole_db_upgrade_creates_every_table(instance: Path, tmp_path: Path) -> None:
    from service.cli import main

    path = tmp_path / "donnees" / "boussole.sqlite"  # the folder does not exist yet
    url = f"sqlite:///{path}"
    runner = CliRunner()
    result = runner.invoke(main, ["db", "upgrade"], env={"BOUSSOLE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "Base de données à jour" in result.output
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == {*Base.metadata.tables, "alembic_version"}
    again = runner.invoke(main, ["db", "upgrade"], env={"BOUSSOLE_DATABASE_URL": url})
    assert again.exit_code == 0, again.output  # a second upgrade changes nothing


def test_boussole_db_upgrade_refuses_an_unsafe_production_config(instance: Path) -> None:
    from service.cli import main

    result = CliRunner().invoke(main, ["db", "upgrade"], env={"BOUSSOLE_ENV_NAME": "production"})
    assert result.exit_code != 0
    assert "BOUSSOLE_SECRET_KEY" in result.output
