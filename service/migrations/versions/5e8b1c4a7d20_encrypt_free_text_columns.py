"""Encryption at rest of the free-text columns (issue 12, section 5): every value of the
columns below becomes a Fernet token (text) encrypted with the first data key; the answers'
``value`` column turns from JSON into text (the token of the JSON text). NULL stays NULL.
Downgrade decrypts and turns ``value`` back to JSON.

The keys come from ``config.attributes["data_keys"]`` (:func:`service.migrate.upgrade`),
else the active app's, else ``BOUSSOLE_DATA_KEYS``; a base with rows to encrypt and no key
stops the migration (nothing changed). Everything runs in the migration's one transaction.

Revision ID: 5e8b1c4a7d20
Revises: 07ce9cc1ea4d
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from service.crypto import Cipher, DataKeyError, migration_cipher

revision = "5e8b1c4a7d20"
down_revision = "07ce9cc1ea4d"
branch_labels = None
depends_on = None

#: (table, column), as of this revision (frozen here: later changes get their migration).
COLUMNS = (
    ("answer", "value"),
    ("score_record", "notes"),
    ("bilan", "report_comment"),
    ("bilan", "objectives"),
    ("assignment", "report_comment"),
    ("counsellor_note", "text"),
    ("bilan_step", "objectives"),
    ("interview", "topic"),
    ("personal_work", "description"),
    ("synthesis_version", "circumstances"),
    ("synthesis_version", "competences"),
    ("synthesis_version", "project"),
    ("synthesis_version", "observations"),
    ("action_item", "text"),
    ("erasure_request", "message"),
    ("erasure_request", "refusal_reason"),
)
BATCH = 500


def _cipher(bind: sa.Connection) -> Cipher | None:
    cipher = migration_cipher(context.config.attributes)
    if cipher is None:
        for table, column in COLUMNS:
            count = bind.execute(
                sa.text(f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")
            ).scalar()
            if count:
                raise DataKeyError(
                    f"{table}.{column} has rows to encrypt and no data key is configured:"
                    " set BOUSSOLE_DATA_KEYS (see docs/security.md), then upgrade again"
                )
    return cipher


def _transform(bind: sa.Connection, change: Callable[[str, str, str], str]) -> None:
    """Every non-NULL value of COLUMNS replaced by ``change(table, column, value)``."""
    for table, column in COLUMNS:
        rows = bind.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id")
        ).all()
        update = sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i")
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            bind.execute(update, [{"i": i, "v": change(table, column, str(v))} for i, v in batch])


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE answer ALTER COLUMN value TYPE text USING value::text")
    else:
        with op.batch_alter_table("answer") as batch:
            batch.alter_column(
                "value", existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False
            )
    cipher = _cipher(bind)
    if cipher is None:
        return  # nothing to encrypt

    _transform(bind, lambda _t, _c, value: cipher.encrypt(value))


def downgrade() -> None:
    bind = op.get_bind()
    cipher = _cipher(bind)
    if cipher is not None:
        _transform(bind, lambda _t, _c, value: cipher.decrypt(value))
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE answer ALTER COLUMN value TYPE json USING value::json")
    else:
        with op.batch_alter_table("answer") as batch:
            batch.alter_column(
                "value", existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False
            )
