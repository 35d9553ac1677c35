"""Alembic environment: the URL comes from the caller (``boussole db upgrade``)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event

from service import models  # noqa: F401  (registers the tables)
from service.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_for_migrations(engine: Engine) -> None:
    """SQLite: every migration in one real transaction, foreign keys off while it runs.

    Batch operations rebuild a table (create a copy, drop the original, rename). With
    foreign keys on, dropping a table that other rows point at fails halfway; and the
    sqlite3 module runs DDL outside any transaction, so a failure would leave a
    ``_alembic_tmp_*`` table behind. This is SQLite's documented procedure for table
    rebuilds (https://www.sqlite.org/lang_altertable.html#otheralter): foreign keys off,
    BEGIN, rebuild, ``PRAGMA foreign_key_check``, COMMIT.
    """

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # outside a transaction

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise RuntimeError(f"migration left rows pointing at missing rows in {', '.join(tables)}")


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        _sqlite_for_migrations(engine)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
