"""Database migrations with Alembic (``boussole db upgrade``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, keys: Sequence[str] | None = None) -> Config:
    """The Alembic configuration for ``url``; ``keys`` (the data keys) reach the migrations
    that encrypt or decrypt rows as ``config.attributes["data_keys"]``."""
    cfg = Config()
    if keys:
        cfg.attributes["data_keys"] = tuple(keys)
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", keys: Sequence[str] | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` (creates it from nothing). ``keys``:
    the data keys, needed when rows are encrypted (default: the active app's keys, else
    ``BOUSSOLE_DATA_KEYS``)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, keys), revision)


def downgrade(url: str, revision: str, keys: Sequence[str] | None = None) -> None:
    """Take the database at ``url`` back to ``revision`` (developers and tests)."""
    command.downgrade(alembic_config(url, keys), revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration from the models (developers only)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
