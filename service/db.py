"""SQLAlchemy 2 engine and sessions for the app (one session per request).

The database is never created or migrated here: ``boussole db upgrade`` runs Alembic.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from service.crypto import Cipher, activate, attach

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    # With WAL, NORMAL cannot corrupt the database; a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Deleted rows are overwritten with zeros, not left in free pages: destroyed content
    # (boussole purge) cannot be read back from the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


#: Every engine made in this process (weakly held): lets a test suite close the pooled
#: connections of apps it created, CLI commands included.
ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(url: str, *, cipher: Cipher | None = None, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout. With
    ``cipher``, its encrypted columns use those keys (else the active ones:
    :func:`service.crypto.activate`)."""
    engine = create_engine(url, future=True, **options)
    if cipher is not None:
        attach(engine, cipher)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    ENGINES.add(engine)
    return engine


class Database:
    """Holds the engine and hands out one session per request (``db.session``)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        options = {}
        if not url.startswith("sqlite"):
            # One connection per gunicorn thread, kept open (no reconnect churn).
            options = {"pool_size": int(app.config.get("DB_POOL_SIZE", 10)), "pool_pre_ping": True}
        cipher = Cipher(app.config["DATA_KEYS"])
        activate(cipher)  # engines made without keys (tests, scripts) use the app's
        self.engine = make_engine(url, cipher=cipher, **options)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["boussole.db"] = self

        @app.teardown_appcontext
        def _close(exc: BaseException | None) -> None:
            session = g.pop("db_session", None)
            if session is not None:
                if exc is not None:
                    session.rollback()
                session.close()

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            assert self._factory is not None, "Database.init_app was not called"
            g.db_session = self._factory()
        session: Session = g.db_session
        return session

    @contextmanager
    def standalone(self) -> Iterator[Session]:
        """A session outside requests (CLI, tests), committed on success."""
        assert self._factory is not None, "Database.init_app was not called"
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
