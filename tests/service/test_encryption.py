"""Encryption at rest of the free-text columns (issue 12, section 5): the database alone
shows no free text, the app still shows it; keys from the configuration, rotation,
production refusing to start without keys, a wrong key failing loudly."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from service.app import create_app
from service.cli import main
from service.config import ConfigError, _development_data_key
from service.crypto import (
    ENCRYPTED_COLUMNS,
    TOKEN_PREFIX,
    Cipher,
    DataKeyError,
    EncryptedJSON,
    EncryptedText,
)
from service.db import Base, make_engine
from tests.service.conftest import TEST_DATA_KEY, World
from tests.service.test_journey import autosave, consent

STRONG_SECRET = "s" * 40


def _marker(table: str, column: str) -> str:
    return f"MARQUEUR-{table}-{column}-7q4z"


def test_the_list_of_encrypted_columns_is_every_encrypted_column_of_the_models() -> None:
    typed = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText | EncryptedJSON)
    }
    assert typed == set(ENCRYPTED_COLUMNS)
    assert len(ENCRYPTED_COLUMNS) == 25


# --- the raw database holds no free text ------------------------------------------------------


def _plant(app: Flask, world: World, claire: FlaskClient, camille: FlaskClient) -> dict[str, Any]:
    """One marker in every encrypted column: through the pages where they are simple to
    drive (the autosave of a free-text answer, a counsellor's note, the bilan's
    objectives), through the models elsewhere (the same column types)."""
    from service.extensions import db
    from service.features.api import tokens
    from service.models import (
        ActionItem,
        ApiIdempotencyKey,
        Assignment,
        Bilan,
        BilanStep,
        ErasureRequest,
        Interview,
        PersonalWork,
        PortfolioChange,
        PortfolioEntry,
        Realisation,
        ScoreRecord,
        SynthesisVersion,
        WebhookEndpoint,
    )

    instruments = app.extensions["boussole.instruments"]
    with app.app_context(), db.standalone() as s:
        followup = Assignment(
            bilan_id=world.bilan,
            instrument_id="suivi-6-mois",
            instrument_version=instruments["suivi-6-mois"].version,
        )
        s.add(followup)
        s.flush()
        followup_id = followup.id
    # The autosave (Core statements; on PostgreSQL the one-statement path).
    consent(camille, world.bilan)
    answer = _marker("answer", "value")
    saved = autosave(camille, followup_id, "SUI_COMMENTAIRE", answer, page=1, seconds=2)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    # A note, and the bilan's objectives, through the counsellor's pages.
    note = claire.post(
        f"/conseil/bilans/{world.bilan}/notes", data={"text": _marker("counsellor_note", "text")}
    )
    assert note.status_code == 302
    record = claire.post(
        f"/conseil/bilans/{world.bilan}/dossier",
        data={"dossier-objectives": _marker("bilan", "objectives")},
    )
    assert record.status_code == 302, record.get_data(as_text=True)
    now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        bilan.report_comment = _marker("bilan", "report_comment")
        assignment = s.get(Assignment, world.assignments["riasec-60"])
        assert assignment is not None
        assignment.report_comment = _marker("assignment", "report_comment")
        s.add_all(
            [
                ScoreRecord(
                    assignment_id=world.assignments["riasec-60"],
                    instrument_key="riasec-60@1",
                    scores={"R": 1},
                    notes=_marker("score_record", "notes"),
                ),
                BilanStep(
                    bilan_id=world.bilan,
                    position=99,
                    phase="investigation",
                    name="Étape",
                    objectives=_marker("bilan_step", "objectives"),
                ),
                Interview(
                    bilan_id=world.bilan,
                    held_at=now,
                    minutes=60,
                    mode="presentiel",
                    topic=_marker("interview", "topic"),
                ),
                PersonalWork(
                    bilan_id=world.bilan,
                    done_on=now.date(),
                    minutes=30,
                    kind="recherches",
                    description=_marker("personal_work", "description"),
                ),
                SynthesisVersion(
                    bilan_id=world.bilan,
                    version=1,
                    circumstances=_marker("synthesis_version", "circumstances"),
                    competences=_marker("synthesis_version", "competences"),
                    project=_marker("synthesis_version", "project"),
                    observations=_marker("synthesis_version", "observations"),
                ),
                ActionItem(bilan_id=world.bilan, text=_marker("action_item", "text")),
                ErasureRequest(
                    bilan_id=world.bilan,
                    beneficiary_id=world.beneficiary,
                    centre_id=world.centre,
                    message=_marker("erasure_request", "message"),
                    refusal_reason=_marker("erasure_request", "refusal_reason"),
                ),
                PortfolioEntry(
                    bilan_id=world.bilan,
                    label=_marker("portfolio_entry", "label"),
                    rating=3,
                    source="emploi",
                ),
                Realisation(
                    bilan_id=world.bilan,
                    title=_marker("portfolio_realisation", "title"),
                    context=_marker("portfolio_realisation", "context"),
                    action=_marker("portfolio_realisation", "action"),
                    result=_marker("portfolio_realisation", "result"),
                    period=_marker("portfolio_realisation", "period"),
                ),
                PortfolioChange(
                    bilan_id=world.bilan,
                    actor_kind="beneficiary",
                    action="add_entry",
                    snapshot=_marker("portfolio_change", "snapshot"),
                ),
                WebhookEndpoint(
                    centre_id=world.centre,
                    url="https://hooks.example.org/boussole",
                    events="bilan.ended",
                    secret=_marker("webhook_endpoint", "secret"),
                ),
            ]
        )
        # the response an Idempotency-Key keeps (it may hold a person's name)
        token = tokens.create_token(
            s, centre_id=world.centre, name="Gestion", scopes=["bilans:write"], days=1,
            created_by=None,
        )  # fmt: skip
        s.add(
            ApiIdempotencyKey(
                token_id=token.token.id,
                key="cle",
                fingerprint="0" * 64,
                status=201,
                body=_marker("api_idempotency_key", "body"),
            )
        )
    return {"followup": followup_id}


def _raw_database(app: Flask) -> str:
    """Everything the database holds, read without the app's column types: the SQLite
    file with its journal, or every row of every table on PostgreSQL."""
    from service.extensions import db

    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        assert db.engine is not None
        db.engine.dispose()  # everything written, nothing held in a connection
        path = Path(url.removeprefix("sqlite:///"))
        parts = [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]
        return b"".join(parts).decode("latin-1")
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [
            str(value)
            for table in Base.metadata.sorted_tables
            for value in conn.execute(text(f"SELECT CAST(t AS text) FROM {table.name} t")).scalars()
        ]
    engine.dispose()
    return "\n".join(rows)


def test_the_raw_database_shows_no_free_text_and_the_app_shows_it(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    planted = _plant(db_app, world, claire, camille)
    raw = _raw_database(db_app)
    # The raw read does see what is not encrypted (names), and the tokens.
    assert "Dominique" in raw and TOKEN_PREFIX in raw
    found = [f"{t}.{c}" for t, c in ENCRYPTED_COLUMNS if _marker(t, c) in raw]
    assert found == []
    assert "MARQUEUR" not in raw
    # Each column holds a Fernet token of the first key.
    engine = make_engine(db_app.config["DATABASE_URL"])
    cipher = Cipher([TEST_DATA_KEY])
    with engine.connect() as conn:
        for table, column in ENCRYPTED_COLUMNS:
            values = conn.execute(
                text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")
            ).scalars()
            tokens = [str(v) for v in values]
            assert tokens, f"{table}.{column}: nothing planted"
            assert all(cipher.is_current(t) for t in tokens), f"{table}.{column}: {tokens}"
    engine.dispose()
    # The app reads them back.
    from service.extensions import db
    from service.models import Answer, CounsellorNote, SynthesisVersion

    with db_app.app_context(), db.standalone() as s:
        answer = s.query(Answer).filter_by(assignment_id=planted["followup"]).one()
        assert answer.value == _marker("answer", "value")
        assert s.query(CounsellorNote).one().text == _marker("counsellor_note", "text")
        version = s.query(SynthesisVersion).one()
        assert version.observations == _marker("synthesis_version", "observations")
    bilan_page = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    assert _marker("counsellor_note", "text") in bilan_page
    record_page = claire.get(f"/conseil/bilans/{world.bilan}/dossier").get_data(as_text=True)
    assert _marker("bilan", "objectives") in record_page


def test_numbers_lists_and_none_come_back_as_they_were_given(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import Answer

    values: dict[str, Any] = {"A1": 3, "A2": 2.5, "A3": ["x", "é"], "A4": None, "A5": "texte"}
    with db_app.app_context(), db.standalone() as s:
        aid = world.assignments["ipip-bfi-25"]
        s.add_all(Answer(assignment_id=aid, item_id=k, value=v) for k, v in values.items())
    with db_app.app_context(), db.standalone() as s:
        back = {a.item_id: a.value for a in s.query(Answer).filter_by(assignment_id=aid)}
    assert back == values


# --- keys -------------------------------------------------------------------------------------


def _app_with_keys(url: str, keys: str, tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": STRONG_SECRET,
            "DATA_KEYS": keys,
            "MAIL_FOLDER": str(tmp_path / "mail"),
        }
    )


def _note_texts(app: Flask) -> list[str]:
    from service.extensions import db
    from service.models import CounsellorNote

    with app.app_context(), db.standalone() as s:
        return [n.text for n in s.query(CounsellorNote).order_by(CounsellorNote.id)]


def test_rotation_re_encrypts_with_the_new_key_then_the_old_key_can_go(
    db_url: str, world: World, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.extensions import db
    from service.models import CounsellorNote

    old, new = TEST_DATA_KEY, Fernet.generate_key().decode()
    app = _app_with_keys(db_url, old, tmp_path)
    with app.app_context(), db.standalone() as s:
        for n in range(3):
            s.add(CounsellorNote(bilan_id=world.bilan, author_id=world.counsellor, text=f"n{n}"))
    # The new key alone opens nothing yet: a clear error, no garbage.
    with pytest.raises(DataKeyError, match="cannot be decrypted with the configured data keys"):
        _note_texts(_app_with_keys(db_url, new, tmp_path))
    # New key first, old key second: everything reads, then rotate.
    assert _note_texts(_app_with_keys(db_url, f"{new},{old}", tmp_path)) == ["n0", "n1", "n2"]
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_DATA_KEYS", f"{new},{old}")
    first = runner.invoke(main, ["keys", "rotate"])
    assert first.exit_code == 0, first.output
    assert "counsellor_note.text : 3 rechiffrées, 0 déjà à la clé courante" in first.output
    again = runner.invoke(main, ["keys", "rotate"])
    assert again.exit_code == 0, again.output
    assert "counsellor_note.text : 0 rechiffrées, 3 déjà à la clé courante" in again.output
    assert "Rotation terminée : 0 valeurs rechiffrées" in again.output
    # The old key removed: still readable; the old key alone no longer opens anything.
    assert _note_texts(_app_with_keys(db_url, new, tmp_path)) == ["n0", "n1", "n2"]
    with pytest.raises(DataKeyError):
        _note_texts(_app_with_keys(db_url, old, tmp_path))


def test_rotation_with_a_missing_key_changes_nothing(
    db_url: str, world: World, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.extensions import db
    from service.models import CounsellorNote

    app = _app_with_keys(db_url, TEST_DATA_KEY, tmp_path)
    with app.app_context(), db.standalone() as s:
        s.add(CounsellorNote(bilan_id=world.bilan, author_id=world.counsellor, text="gardée"))
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_DATA_KEYS", other)
    result = runner.invoke(main, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "rien n’a été modifié" in result.output
    assert "counsellor_note.text, row 1" in result.output
    assert _note_texts(_app_with_keys(db_url, TEST_DATA_KEY, tmp_path)) == ["gardée"]


def test_keys_generate_prints_a_fernet_key(runner: CliRunner) -> None:
    result = runner.invoke(main, ["keys", "generate"])
    assert result.exit_code == 0
    key = result.output.strip()
    assert len(key) == 44 and Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"


def test_production_refuses_to_start_without_data_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOUSSOLE_DATA_KEYS")
    with pytest.raises(ConfigError, match="without data keys: set BOUSSOLE_DATA_KEYS"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_SECRET})
    app = create_app(
        {"ENV_NAME": "production", "SECRET_KEY": STRONG_SECRET, "DATA_KEYS": TEST_DATA_KEY}
    )
    assert app.config["DATA_KEYS"] == (TEST_DATA_KEY,)


def test_a_malformed_key_is_refused_naming_its_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOUSSOLE_DATA_KEYS", f"{TEST_DATA_KEY}, pas-une-cle")
    with pytest.raises(ConfigError, match=r"data key no\. 2 of BOUSSOLE_DATA_KEYS is not a Fernet"):
        create_app({"TESTING": True})


def test_outside_production_a_key_file_is_made_once_readable_by_its_owner(tmp_path: Path) -> None:
    key = _development_data_key(tmp_path / "instance")
    path = tmp_path / "instance" / "data.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Fernet(key) is not None
    assert _development_data_key(tmp_path / "instance") == key  # kept, not remade


def test_a_value_in_clear_is_an_error_not_text() -> None:
    cipher = Cipher([TEST_DATA_KEY])
    with pytest.raises(DataKeyError, match="not encrypted"):
        cipher.decrypt("texte en clair")
    other = Cipher([Fernet.generate_key().decode()])
    with pytest.raises(DataKeyError, match="the key that encrypted it is missing"):
        other.decrypt(cipher.encrypt("secret"))


# --- the migration ----------------------------------------------------------------------------

BEFORE = "07ce9cc1ea4d"  # the revision before the encryption


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty database of its own: a SQLite file, or a PostgreSQL database made for the
    test next to BOUSSOLE_TEST_DATABASE_URL's (skipped without it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    from tests.service.conftest import PG_URL

    if not PG_URL:
        pytest.skip("BOUSSOLE_TEST_DATABASE_URL not set")
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # one database per xdist worker
    name = f"{url.database}_migration" + (f"_{worker}" if worker else "")
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    # Emptied by dropping its schema, not the database: DROP DATABASE waits for a
    # checkpoint of the whole server (12 to 38 s at teardown on a busy CI machine).
    own = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(own, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield own


def _rows_in_clear(url: str) -> None:
    """A bilan with objectives, a note and two answers (a text, a number), in clear, as
    the revision before the encryption stored them."""
    from sqlalchemy import insert

    tables = Base.metadata.tables
    engine = make_engine(url, cipher=Cipher([TEST_DATA_KEY]))
    with engine.begin() as conn:
        conn.execute(insert(tables["centre"]).values(id=1, name="C"))
        conn.execute(
            insert(tables["staff_user"]).values(
                id=7, centre_id=1, email="c@x.test", name="Claire", role="counsellor",
                password_hash="h",
            )
        )  # fmt: skip
        conn.execute(
            insert(tables["beneficiary"]).values(
                id=3, centre_id=1, first_name="Alex", last_name="Martin"
            )
        )
        conn.execute(insert(tables["bilan"]).values(id=5, centre_id=1, beneficiary_id=3))
        conn.execute(
            insert(tables["assignment"]).values(
                id=9, bilan_id=5, instrument_id="suivi-6-mois", instrument_version="1.0.0"
            )
        )
        conn.execute(
            insert(tables["counsellor_note"]).values(id=2, bilan_id=5, author_id=7, text="x")
        )
        conn.execute(text("UPDATE counsellor_note SET text = 'note en clair' WHERE id = 2"))
        conn.execute(text("UPDATE bilan SET objectives = 'objectifs en clair' WHERE id = 5"))
        now = "2026-01-01 00:00:00"
        for item, value in (("SUI_COMMENTAIRE", '"réponse en clair"'), ("SUI_RECO", "8")):
            conn.execute(
                text(
                    "INSERT INTO answer (assignment_id, item_id, value, answered_at)"
                    " VALUES (9, :item, :value, :now)"
                ),
                {"item": item, "value": value, "now": now},
            )
    engine.dispose()


def _raw(url: str) -> dict[str, Any]:
    answers = text("SELECT CAST(value AS text) FROM answer ORDER BY item_id")
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {
            "note": conn.execute(text("SELECT text FROM counsellor_note")).scalar(),
            "objectives": conn.execute(text("SELECT objectives FROM bilan")).scalar(),
            "answers": [str(v) for v in conn.execute(answers).scalars()],
        }
    engine.dispose()
    return out


def test_the_migration_encrypts_the_rows_in_clear_and_its_downgrade_decrypts(
    empty_url: str, tmp_path: Path
) -> None:
    from service.migrate import downgrade, upgrade

    upgrade(empty_url, BEFORE)
    _rows_in_clear(empty_url)
    upgrade(empty_url, keys=[TEST_DATA_KEY])
    raw = _raw(empty_url)
    cipher = Cipher([TEST_DATA_KEY])
    assert cipher.decrypt(raw["note"]) == "note en clair"
    assert cipher.decrypt(raw["objectives"]) == "objectifs en clair"
    assert [cipher.decrypt(v) for v in raw["answers"]] == ['"réponse en clair"', "8"]
    app = _app_with_keys(empty_url, TEST_DATA_KEY, tmp_path)
    from service.extensions import db
    from service.models import Answer

    with app.app_context(), db.standalone() as s:
        answers = {a.item_id: a.value for a in s.query(Answer)}
    assert answers == {"SUI_COMMENTAIRE": "réponse en clair", "SUI_RECO": 8}
    assert _note_texts(app) == ["note en clair"]
    assert db.engine is not None
    db.engine.dispose()
    downgrade(empty_url, BEFORE, keys=[TEST_DATA_KEY])
    back = _raw(empty_url)
    assert back["note"] == "note en clair" and back["objectives"] == "objectifs en clair"
    assert [v.replace(" ", "") for v in back["answers"]] == ['"réponseenclair"', "8"]


def test_the_migration_without_keys_stops_when_rows_are_in_clear(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.crypto
    from service.migrate import upgrade

    upgrade(empty_url, BEFORE)
    _rows_in_clear(empty_url)
    monkeypatch.delenv("BOUSSOLE_DATA_KEYS")
    monkeypatch.setattr(service.crypto, "_ACTIVE", None)
    with pytest.raises(DataKeyError, match="has rows to encrypt and no data key"):
        upgrade(empty_url)
    assert _raw(empty_url)["note"] == "note en clair"  # nothing changed
