"""``boussole keys generate`` and ``boussole keys rotate``: the data keys of the encrypted
columns (docs/security.md, "Chiffrement au repos")."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from sqlalchemy import Connection, text

from service.crypto import ENCRYPTED_COLUMNS, Cipher, DataKeyError, generate_key

BATCH = 500


def _fail(message: str) -> NoReturn:
    click.echo(f"Erreur / Error: {message}", err=True)
    sys.exit(1)


@click.group()
def keys() -> None:
    """Clés de chiffrement des textes libres / data keys."""


@keys.command("generate")
def keys_generate() -> None:
    """Affiche une nouvelle clé Fernet (à mettre en tête de BOUSSOLE_DATA_KEYS)."""
    click.echo(generate_key())


def rotate_rows(conn: Connection, cipher: Cipher) -> dict[str, tuple[int, int]]:
    """Re-encrypt with the first key every value encrypted with another key; per column,
    (re-encrypted, already with the first key). A value no key opens raises DataKeyError
    naming its row (the caller's transaction then writes nothing)."""
    counts: dict[str, tuple[int, int]] = {}
    for table, column in ENCRYPTED_COLUMNS:
        rows = conn.execute(
            text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id")
        ).all()
        changed = []
        for row_id, token in rows:
            token = str(token)
            if cipher.is_current(token):
                continue
            try:
                changed.append({"i": row_id, "v": cipher.rotate(token), "old": token})
            except DataKeyError as exc:
                raise DataKeyError(f"{table}.{column}, row {row_id}: {exc}") from None
        # Only if the value is still the one read: a row the running service rewrote
        # meanwhile (with the first key already) keeps its new value.
        update = text(f"UPDATE {table} SET {column} = :v WHERE id = :i AND {column} = :old")
        for start in range(0, len(changed), BATCH):
            conn.execute(update, changed[start : start + BATCH])
        counts[f"{table}.{column}"] = (len(changed), len(rows) - len(changed))
    return counts


@keys.command("rotate")
def keys_rotate() -> None:
    """Rechiffre toutes les valeurs avec la première clé de BOUSSOLE_DATA_KEYS (une seule
    transaction ; relancer ne change rien). Ensuite, l'ancienne clé peut être retirée."""
    from service.app import create_app
    from service.config import ConfigError
    from service.extensions import db as database

    try:
        app = create_app()
    except ConfigError as exc:
        _fail(str(exc))
        return
    cipher = Cipher(app.config["DATA_KEYS"])
    engine = database.engine
    assert engine is not None
    try:
        with engine.begin() as conn:
            counts = rotate_rows(conn, cipher)
    except DataKeyError as exc:
        _fail(f"rien n’a été modifié / nothing changed: {exc}")
        return
    finally:
        engine.dispose()
    total = sum(n for n, _ in counts.values())
    kept = sum(k for _, k in counts.values())
    for name, (n, k) in counts.items():
        if n or k:
            click.echo(f"  {name} : {n} rechiffrées, {k} déjà à la clé courante")
    click.echo(
        f"Rotation terminée : {total} valeurs rechiffrées avec la première clé,"
        f" {kept} l’étaient déjà ({len(cipher.keys)} clés configurées)."
    )
